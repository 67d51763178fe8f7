// Stands in for Pulumi's dynamic provider host, for tests only: a plain node process with no TypeScript loader that
// loads a serialized dynamic provider with require-from-string (as @pulumi/pulumi/cmd/dynamic-provider does) and
// drives it through successive `pulumi up` runs the way the engine does: check gets the old *inputs*, diff the old
// *outputs*, then create, update or nothing.
//
// Usage: node dynamicProviderHost.mjs <project directory> < {"text": "...", "runs": [inputs, inputs, ...]}
// Prints one JSON line: for each run, the checked inputs, the step and the outputs kept in the state.
import { createRequire } from "node:module";
import * as path from "node:path";

const projectRoot = path.resolve(process.argv[2] ?? ".");
const requireFromHost = createRequire(
    path.join(projectRoot, "node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js"),
);
const requireFromString = requireFromHost("require-from-string");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { text, runs } = JSON.parse(input);

const provider = requireFromString(text).handler();
let stored;
const results = [];
for (const news of runs) {
    const checked = { ...(await provider.check(stored?.inputs ?? {}, news)).inputs, __provider: news.__provider };
    if (stored === undefined) {
        const created = await provider.create(checked);
        stored = { id: created.id, inputs: checked, outputs: { ...created.outs, __provider: checked.__provider } };
        results.push({ step: "create", checked, outputs: stored.outputs });
        continue;
    }
    const diff = await provider.diff(stored.id, stored.outputs, checked);
    if (diff.changes === false) {
        stored = { ...stored, inputs: checked };
        results.push({ step: "same", checked, outputs: stored.outputs });
        continue;
    }
    const updated = await provider.update(stored.id, stored.outputs, checked);
    stored = { ...stored, inputs: checked, outputs: { ...updated.outs, __provider: checked.__provider } };
    results.push({ step: "update", checked, outputs: stored.outputs, replaces: diff.replaces ?? [] });
}
process.stdout.write(JSON.stringify(results) + "\n");
