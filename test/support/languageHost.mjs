// Runs the program the way Pulumi's Node.js language host does for a TypeScript project, for tests only: ts-node
// registered with the options of @pulumi/pulumi/cmd/run (vendored ts-node 7 unless the project has its own, the
// project's TypeScript and tsconfig.json), under Pulumi's mocks. Plain node: no tsx, no other loader.
//
// Usage: node languageHost.mjs <project directory>
// Env: UCX_TEST_CONFIG (JSON object of ucx-mail keys), UCX_MAIL_NOW. Prints one JSON line on stdout: the ts-node and
// TypeScript in use, and the serialized text and inputs of every dynamic resource the program declared.
import { createRequire } from "node:module";
import * as path from "node:path";

const projectRoot = path.resolve(process.argv[2] ?? ".");
// The language host runs the program from the project directory, where ts-node finds tsconfig.json.
process.chdir(projectRoot);
const requireFromPulumi = createRequire(path.join(projectRoot, "node_modules/@pulumi/pulumi/cmd/run/run.js"));
const tsutils = requireFromPulumi("../../tsutils");

// The same registration as run.js's non-ESM path (the project is CommonJS).
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
const typescript = requireFromPulumi(typescriptRequire);
const compilerOptions = tsutils.loadTypeScriptCompilerOptions("tsconfig.json");
const useNodeNext = requireFromPulumi("semver").gte(typescript.version, "4.7.0");
requireFromPulumi(tsnodeRequire).register({
    compiler: typescriptRequire,
    transpileOnly: process.env.PULUMI_NODEJS_TRANSPILE_ONLY === "true" ? true : compilerOptions.noCheck,
    project: "tsconfig.json",
    skipProject: false,
    compilerOptions: {
        target: "ES2020",
        module: useNodeNext ? "nodenext" : "commonjs",
        moduleResolution: useNodeNext ? "nodenext" : "node",
        sourceMap: "true",
        ...compilerOptions,
    },
});

const pulumi = requireFromPulumi("../../index");
const settings = requireFromPulumi("../../runtime/settings");
// The dynamic provider host loads the serialized provider with this module; so does this stand-in engine.
const requireFromString = createRequire(requireFromPulumi.resolve("../dynamic-provider/index.js"))(
    "require-from-string",
);

// The ids the real providers compute for the app registration and its enterprise application.
const LIVE_IDS = {
    clientId: "00000000-0000-4000-8000-0000000000c1",
    objectId: "00000000-0000-4000-8000-0000000000b1",
};
const dynamic = [];
await pulumi.runtime.setMocks(
    {
        async newResource(args) {
            if (args.type === "pulumi:pulumi:StackReference") {
                // A first `pulumi up`: the stack has no saved outputs yet (readStackReference in builtins.go).
                return { id: args.id, state: { name: args.inputs.name, outputs: {}, secretOutputNames: [] } };
            }
            if (!args.type.startsWith("pulumi-nodejs:dynamic")) {
                const extra = args.type.includes("ApplicationPassword") ? { value: "mock-secret" } : {};
                return { id: `${args.name}-id`, state: { ...args.inputs, ...LIVE_IDS, ...extra } };
            }
            // A first `pulumi up`: check against no old inputs, then create.
            const text = String(args.inputs.__provider);
            dynamic.push({ name: args.name, type: args.type, text, inputs: args.inputs });
            const provider = requireFromString(text).handler();
            const checked = (await provider.check({}, args.inputs)).inputs;
            const created = await provider.create(checked);
            return { id: created.id, state: created.outs };
        },
        call: (args) =>
            args.token.includes("getServicePrincipal")
                ? {
                      objectId: "00000000-0000-4000-8000-0000000000e0",
                      appRoleIds: {
                          "IMAP.AccessAsApp": "5e5addcd-3e8d-4e90-baf5-964efab2b20a",
                          "SMTP.SendAsApp": "7146a1f0-8703-45b3-9eae-527a64c00995",
                      },
                  }
                : { tenantId: "00000000-0000-4000-8000-0000000000aa" },
    },
    "ucx-mail",
    "tenant",
    false,
    // The organization a DIY backend always reports (pkg/backend/diy/backend.go).
    "organization",
);
const config = JSON.parse(process.env.UCX_TEST_CONFIG ?? "{}");
pulumi.runtime.setAllConfig(
    Object.fromEntries(
        Object.entries(config).map(([key, value]) => [
            `ucx-mail:${key}`,
            typeof value === "string" ? value : JSON.stringify(value),
        ]),
    ),
);

const program = createRequire(path.join(projectRoot, "package.json"))("./index.ts");
await Promise.all(Object.values(program).map((value) => (pulumi.Output.isInstance(value) ? value.promise() : value)));
await settings.waitForRPCs();
process.stdout.write(
    JSON.stringify({
        tsNode: path.relative(projectRoot, requireFromPulumi.resolve(tsnodeRequire)),
        typescriptVersion: typescript.version,
        compiledBy: Object.keys(createRequire(import.meta.url).extensions).includes(".ts") ? "ts-node" : "none",
        dynamic,
    }) + "\n",
);
