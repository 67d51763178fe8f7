import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createFakeExecutableDir, FakeExecutable, installFakeExecutable } from "./fakeExecutable";

/**
 * A stand-in `pulumi` executable on PATH that answers `pulumi stack output --json --show-secrets --stack <name>` and
 * `pulumi config --json --stack <name>` in the real CLI's --json shapes (outputs object; config as
 * { "<namespace>:<key>": { "value": ..., "secret": false } }, a secret without --show-secrets as { "secret": true }).
 */
export type FakePulumiCli = FakeExecutable;

/** Creates the fake. It prints `outputs` for `stackName` and fails like the real CLI for any other stack. */
export function createFakePulumiCli(
    stackName: string,
    outputs: Record<string, unknown>,
    config: Record<string, string> = {},
): FakePulumiCli {
    const fake = createFakeExecutableDir("ucx-fake-pulumi-");
    const dir = fake.dir;
    writeFileSync(join(dir, "outputs.json"), `${JSON.stringify(outputs, null, 4)}\n`);
    const configJson = Object.fromEntries(
        Object.entries(config).map(([key, value]) => [`ucx-mail:${key}`, { value, secret: false }]),
    );
    writeFileSync(join(dir, "config.json"), `${JSON.stringify(configJson, null, 4)}\n`);
    const script = `#!/bin/sh
# Fake Pulumi CLI for the doctor tests: "stack output --json --show-secrets --stack <name>" and "config --json --stack <name>".
here="$(dirname "$0")"
echo "$*" >> "$here/calls.log"
if [ "$1" = "config" ]; then
  command=config
  shift 1
elif [ "$1" = "stack" ] && [ "$2" = "output" ]; then
  command=output
  shift 2
else
  echo "error: fake pulumi only knows 'stack output' and 'config'" >&2
  exit 3
fi
stack=""
json=no
secrets=no
while [ $# -gt 0 ]; do
  case "$1" in
    --json) json=yes ;;
    --show-secrets) secrets=yes ;;
    --stack|-s) shift; stack="$1" ;;
  esac
  shift
done
if [ "$stack" != "${stackName}" ]; then
  echo "error: no stack named '$stack' found" >&2
  exit 255
fi
if [ "$command" = config ]; then
  if [ "$json" != yes ]; then
    echo "error: the doctor must ask for --json" >&2
    exit 4
  fi
  cat "$here/config.json"
  exit 0
fi
if [ "$json" != yes ] || [ "$secrets" != yes ]; then
  echo "error: the doctor must ask for --json --show-secrets" >&2
  exit 4
fi
cat "$here/outputs.json"
`;
    installFakeExecutable(fake, "pulumi", script);
    return fake;
}
