import { z } from 'zod';
import { describeValue } from '../errors.js';

export interface ConfigIssue {
  /** Dotted path, e.g. `night.min_dark_frames`; `(root)` for the top level. */
  field: string;
  /** `<field>: expected <what>, received <value>`, the one shape for bad input. */
  message: string;
}

/** Bounds on an integer carry this tag so their messages say "integer", not "number". */
const INTEGER = 'integer';

/** A whole number in [min, max] whose range errors read `expected integer >= min`. */
export function integer(min: number, max: number): z.ZodNumber {
  return z.number().int().min(min, { message: INTEGER }).max(max, { message: INTEGER });
}

/** Turns zod issues into messages of one template, naming field, expectation and value. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  return issues.flatMap((issue): ConfigIssue[] => {
    const field = issue.path.length === 0 ? '(root)' : issue.path.join('.');
    const received = describeValue(issue.input);
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) => {
          const name = field === '(root)' ? key : `${field}.${key}`;
          return { field: name, message: `${name}: unknown field` };
        });
      case 'invalid_type': {
        const expected = issue.expected === 'int' ? 'integer' : issue.expected;
        return [{ field, message: `${field}: expected ${expected}, received ${received}` }];
      }
      case 'too_small':
      case 'too_big': {
        const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
        const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
        const what =
          issue.message === INTEGER ? 'integer' : issue.origin === 'array' ? 'list with length' : issue.origin === 'string' ? 'text of length' : 'number';
        return [{ field, message: `${field}: expected ${what} ${op} ${String(bound)}, received ${received}` }];
      }
      case 'invalid_value': {
        const options = issue.values.map((v) => JSON.stringify(v)).join(' | ');
        return [{ field, message: `${field}: expected one of ${options}, received ${received}` }];
      }
      case 'custom':
        return [{ field, message: `${field}: ${issue.message}` }];
      default:
        return [{ field, message: `${field}: ${issue.message}, received ${received}` }];
    }
  });
}
