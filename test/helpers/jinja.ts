import { execFile } from 'node:child_process';

/** One Home Assistant value template and the MQTT payload it is applied to. */
export interface TemplateCase {
  template: string;
  payload: string;
}

/**
 * Renders value templates the way Home Assistant does: Jinja2 in a sandboxed
 * environment with `value` (the payload text) and `value_json` (the payload
 * parsed as JSON, when it is). Uses the real jinja2 (python3-jinja2); missing
 * is a failure, not a skip.
 */
export function renderTemplates(cases: TemplateCase[]): Promise<string[]> {
  const script = [
    'import json, sys',
    'from jinja2.sandbox import ImmutableSandboxedEnvironment',
    'env = ImmutableSandboxedEnvironment()',
    'out = []',
    'for case in json.load(sys.stdin):',
    '    variables = {"value": case["payload"]}',
    '    try:',
    '        variables["value_json"] = json.loads(case["payload"])',
    '    except ValueError:',
    '        pass',
    '    out.append(env.from_string(case["template"]).render(**variables))',
    'print(json.dumps(out))',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = execFile('python3', ['-c', script], { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`jinja2 rendering failed (python3 with jinja2 is required): ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as string[]);
    });
    child.stdin!.end(JSON.stringify(cases));
  });
}
