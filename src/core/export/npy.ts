/**
 * NumPy .npy version 1.0 header for a C-ordered uint8 array. The pixel bytes
 * follow it unchanged, so no conversion library is needed and numpy.load
 * reads the file as an array of `shape`.
 */
export function npyHeader(shape: readonly number[]): Buffer {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${dims}), }`;
  // Magic (6) + version (2) + length (2) + dict + padding + '\n' is a multiple of 64.
  const unpadded = 10 + dict.length + 1;
  const padding = (64 - (unpadded % 64)) % 64;
  const text = dict + ' '.repeat(padding) + '\n';
  const header = Buffer.alloc(10 + text.length);
  header.write('\x93NUMPY', 0, 'latin1');
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(text.length, 8);
  header.write(text, 10, 'latin1');
  return header;
}
