import { toBinary } from '@bufbuild/protobuf';
import type { DescFile } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import type * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { file_grpc_health_v1_health } from '../gen/grpc/health/v1/health_pb.js';
import { file_grpc_reflection_v1_reflection } from '../gen/grpc/reflection/v1/reflection_pb.js';
import { file_grpc_reflection_v1alpha_reflection } from '../gen/grpc/reflection/v1alpha/reflection_pb.js';
import { file_picam_v1_camera } from '../gen/picam/v1/camera_pb.js';

/**
 * Server reflection for grpcurl and friends, fed from the same generated
 * descriptors the server uses (no .proto files read at run time). Health and
 * reflection are described too, or grpcurl could not call them without a
 * .proto at hand.
 */
export function addReflection(server: grpc.Server): void {
  const files = collect([file_picam_v1_camera, file_grpc_health_v1_health, file_grpc_reflection_v1_reflection, file_grpc_reflection_v1alpha_reflection]);
  const fileDescriptorProtos = files.map((file) => Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)));
  // @grpc/reflection reads proto-loader's package-definition shape, of which it
  // only uses `fileDescriptorProtos`; one entry carrying every file suffices.
  const definition = { 'picam.v1.CameraService': { fileDescriptorProtos } };
  new ReflectionService(definition as unknown as ConstructorParameters<typeof ReflectionService>[0]).addToServer(server);
}

/** The files and everything they import, each once. */
function collect(roots: DescFile[]): DescFile[] {
  const seen = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (seen.has(file.name)) return;
    seen.set(file.name, file);
    file.dependencies.forEach(visit);
  };
  roots.forEach(visit);
  return [...seen.values()];
}
