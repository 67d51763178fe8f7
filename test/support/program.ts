// Runs index.ts under Pulumi's mocks with a given stack configuration and records every resource it declares.
// Each call loads a fresh copy of the program, so one test file can run many configurations.

import * as pulumi from "@pulumi/pulumi";
import Module from "node:module";
import * as path from "node:path";
import { EXCHANGE_ONLINE_APP_ROLE_IDS, FAKE_EXCHANGE_SP_OBJECT_ID, FAKE_TENANT_ID, guidFrom } from "./fakeTenant";
import { legacyEwsApplication, type LiveApplication } from "./liveApplication";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as {
    waitForRPCs(): Promise<void>;
    getMonitor(): MockMonitorLike;
};

/** The part of the SDK's mock monitor and of the protobuf RegisterResourceRequest the harness reads. */
interface RegisterResourceRequestLike {
    getName(): string;
    getType(): string;
    hasRetainondelete(): boolean;
    getRetainondelete(): boolean | undefined;
    getIgnorechangesList(): string[];
    getImportid(): string;
    getProvider(): string;
}
interface MockMonitorLike {
    registerResource(req: RegisterResourceRequestLike, callback: (...args: unknown[]) => void): Promise<void>;
}

/**
 * The mocks' newResource does not receive resource options (MockResourceArgs in @pulumi/pulumi/runtime/mocks.d.ts),
 * so the harness reads them from the request the SDK built for the engine (resource.js sets retainOnDelete on it).
 */
function recordRegisteredOptions(into: Map<string, RegisteredOptions>): void {
    const monitor = settings.getMonitor();
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        into.set(`${req.getType()} ${req.getName()}`, {
            ...(req.hasRetainondelete() ? { retainOnDelete: req.getRetainondelete() } : {}),
            ignoreChanges: req.getIgnorechangesList(),
            ...(req.getImportid() ? { importId: req.getImportid() } : {}),
            ...(req.getProvider() ? { provider: req.getProvider() } : {}),
        });
        return registerResource(req, callback);
    };
}

export interface DeclaredResource {
    type: string;
    name: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    inputs: Record<string, any>;
    id: string;
    /** The id the program asked to import, if any. */
    importId?: string;
    /** For a dynamic resource, what the engine did with it in this run. */
    step?: "create" | "update" | "same";
    /** Resource options as the SDK sent them to the engine in its RegisterResourceRequest. */
    options: RegisteredOptions;
}

/** The options of a RegisterResourceRequest that the engine acts on at destroy and import time. */
export interface RegisteredOptions {
    /** Undefined when the program did not set it (the request's optional field is absent). */
    retainOnDelete?: boolean;
    ignoreChanges: string[];
    importId?: string;
    /** The explicit provider reference ("<urn>::<id>"); absent for the default provider. */
    provider?: string;
}

/** One invoke the program made, and the explicit provider it named (absent: the default provider). */
export interface InvokeCall {
    token: string;
    provider?: string;
}

export interface ProgramRun {
    resources: DeclaredResource[];
    calls: InvokeCall[];
    outputs: Record<string, unknown>;
    secretOutputs: Set<string>;
}

export interface RunOptions {
    /** Config keys (without namespace) to store as secrets. */
    secretKeys?: string[];
    /** Extra raw config with its own namespace, e.g. { "azuread:tenantId": "..." }. */
    rawConfig?: Record<string, string>;
    /** The instant the program runs at (sets UCX_MAIL_NOW for the rotation clock). */
    now?: Date;
    /** Run as a preview instead of an update. */
    preview?: boolean;
    /** The stack state earlier runs left; dynamic resources read and advance it as the engine would. */
    state?: MockStackState;
    /**
     * The tenant's app registrations by object id, as azuread.getApplication returns them. Unset: the tenant holds
     * a typical legacy EWS app under whichever object id the program looks up (see legacyEwsApplication).
     */
    applications?: Record<string, LiveApplication>;
}

/**
 * What the engine keeps between runs: each dynamic resource's checked inputs and outputs, by name, and the stack
 * outputs of the last run, which a StackReference to the stack itself reads.
 */
export class MockStackState {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly dynamic = new Map<string, { inputs: Record<string, any>; outputs: Record<string, any> }>();
    outputs: Record<string, unknown> = {};
    secretOutputs: string[] = [];
}

type DynamicProvider = Required<Pick<pulumi.dynamic.ResourceProvider, "create">> & pulumi.dynamic.ResourceProvider;

/** Loads a dynamic provider from the text the program serialized, the way Pulumi's dynamic provider host does. */
function loadDynamicProvider(serialized: string): DynamicProvider {
    const loader = new Module(PROGRAM_PATH) as Module & { _compile(text: string, file: string): void };
    loader.filename = PROGRAM_PATH;
    loader.paths = module.paths;
    loader._compile(serialized, PROGRAM_PATH);
    return (loader.exports as { handler(): DynamicProvider }).handler();
}

/**
 * A dynamic resource through the engine's steps: check against the stored inputs, diff against the stored outputs,
 * then create or update. A preview calls check and diff only and shows the checked inputs as outputs.
 */
async function dynamicResource(
    args: pulumi.runtime.MockResourceArgs,
    state: MockStackState,
    preview: boolean,
): Promise<{ id: string; state: Record<string, unknown>; step: "create" | "update" | "same" }> {
    const provider = loadDynamicProvider(String(args.inputs.__provider));
    const stored = state.dynamic.get(args.name);
    const checked = provider.check
        ? ((await provider.check(stored?.inputs ?? {}, args.inputs)).inputs ?? args.inputs)
        : args.inputs;
    const id = `${args.name}-id`;
    if (stored !== undefined) {
        const diff = provider.diff ? await provider.diff(id, stored.outputs, checked) : { changes: true };
        if (diff.changes === false) {
            // A same step keeps the outputs and records the new checked inputs.
            if (!preview) state.dynamic.set(args.name, { inputs: checked, outputs: stored.outputs });
            return { id, state: stored.outputs, step: "same" };
        }
        if (preview) return { id, state: checked, step: "update" };
        const updated = provider.update ? ((await provider.update(id, stored.outputs, checked)).outs ?? {}) : {};
        const outputs = { ...updated, __provider: checked.__provider };
        state.dynamic.set(args.name, { inputs: checked, outputs });
        return { id, state: outputs, step: "update" };
    }
    if (preview) return { id, state: checked, step: "create" };
    const created = await provider.create(checked);
    const outputs = { ...created.outs, __provider: checked.__provider };
    state.dynamic.set(args.name, { inputs: checked, outputs });
    return { id: created.id, state: outputs, step: "create" };
}

export const PROGRAM_PATH = path.resolve(__dirname, "..", "..", "index.ts");
const PROJECT_ROOT = path.dirname(PROGRAM_PATH);

/** The mock provider: deterministic ids and the computed outputs the real providers would return. */
function mockState(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
    // An imported resource keeps the object id of the live object it adopts.
    const objectId = args.id ? args.id.split("/").pop()! : guidFrom(`${args.type}/${args.name}/object`);
    switch (args.type) {
        case "azuread:index/application:Application":
            return {
                id: `/applications/${objectId}`,
                state: { ...args.inputs, objectId, clientId: guidFrom(`${args.name}/client`) },
            };
        case "azuread:index/servicePrincipal:ServicePrincipal":
            return { id: `/servicePrincipals/${objectId}`, state: { ...args.inputs, objectId } };
        case "azuread:index/applicationPassword:ApplicationPassword": {
            const keyId = guidFrom(`${args.name}/${JSON.stringify(args.inputs)}/key`);
            return {
                id: `${args.inputs.applicationId}/password/${keyId}`,
                state: { ...args.inputs, keyId, value: `mock-secret-value-${keyId}` },
            };
        }
        case "command:local:Command":
            // The command provider returns what the command printed (pulumi-command local/commandOutputs.go).
            return { id: `${args.name}-id`, state: { ...args.inputs, stdout: `stdout of ${args.name}`, stderr: "" } };
        default:
            return { id: `${args.name}-id`, state: { ...args.inputs } };
    }
}

function mockCall(
    args: pulumi.runtime.MockCallArgs,
    applications: Record<string, LiveApplication> | undefined,
): Record<string, unknown> {
    switch (args.token) {
        case "azuread:index/getApplication:getApplication": {
            const objectId = String(args.inputs.objectId);
            const found = applications === undefined ? legacyEwsApplication(objectId) : applications[objectId];
            if (found === undefined) {
                // The data source's reply to a missing object id (application_data_source.go in
                // terraform-provider-azuread), as a gRPC error: the SDK reads its `details` (runtime/invoke.js).
                const message = `Application with object ID "${objectId}" was not found`;
                throw Object.assign(new Error(message), { details: message });
            }
            return { ...found };
        }
        case "azuread:index/getServicePrincipal:getServicePrincipal":
            return {
                id: `/servicePrincipals/${FAKE_EXCHANGE_SP_OBJECT_ID}`,
                objectId: FAKE_EXCHANGE_SP_OBJECT_ID,
                clientId: args.inputs.clientId,
                displayName: "Office 365 Exchange Online",
                appRoleIds: { ...EXCHANGE_ONLINE_APP_ROLE_IDS },
            };
        case "azuread:index/getClientConfig:getClientConfig":
            return {
                id: FAKE_TENANT_ID,
                tenantId: FAKE_TENANT_ID,
                clientId: guidFrom("deployer"),
                objectId: guidFrom("deployer/object"),
            };
        default:
            throw new Error(`the mocks do not know the function ${args.token}`);
    }
}

function rawStackConfig(config: Record<string, unknown>, extra: Record<string, string>): Record<string, string> {
    const raw: Record<string, string> = { ...extra };
    for (const [key, value] of Object.entries(config)) {
        raw[`ucx-mail:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return raw;
}

async function settle(value: unknown): Promise<{ value: unknown; secret: boolean }> {
    if (!pulumi.Output.isInstance(value)) return { value, secret: false };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const output = value as any;
    const [resolved, secret] = await Promise.all([output.promise(), output.isSecret]);
    return { value: resolved, secret };
}

function forgetProgramModules(): void {
    for (const key of Object.keys(require.cache)) {
        if (
            key.startsWith(PROJECT_ROOT) &&
            !key.includes(`${path.sep}node_modules${path.sep}`) &&
            !key.includes(`${path.sep}test${path.sep}`)
        ) {
            delete require.cache[key];
        }
    }
}

/** What the program threw, with whatever it had declared before it threw. */
export class ProgramFailure extends Error {
    constructor(
        readonly cause: unknown,
        readonly declared: DeclaredResource[],
    ) {
        super(cause instanceof Error ? cause.message : String(cause));
        this.name = "ProgramFailure";
    }
}

/** Runs the program with the given ucx-mail config. Throws what the program throws (e.g. a config error). */
export async function runProgram(config: Record<string, unknown>, options: RunOptions = {}): Promise<ProgramRun> {
    const resources: DeclaredResource[] = [];
    const calls: InvokeCall[] = [];
    const registeredOptions = new Map<string, RegisteredOptions>();
    // Without a carried state every run is the stack's first.
    const stackState = options.state ?? new MockStackState();
    await pulumi.runtime.setMocks(
        {
            async newResource(args) {
                if (args.type === "pulumi:pulumi:StackReference") {
                    // The builtin provider's answer (readStackReference in pkg/resource/deploy/builtins.go): the
                    // referenced stack's saved outputs, none on a stack's first run.
                    const state = {
                        name: args.inputs.name,
                        outputs: { ...stackState.outputs },
                        secretOutputNames: [...stackState.secretOutputs],
                    };
                    return { id: String(args.id), state };
                }
                const { id, state, step } = args.type.startsWith("pulumi-nodejs:dynamic")
                    ? await dynamicResource(args, stackState, options.preview ?? false)
                    : { ...mockState(args), step: undefined };
                resources.push({
                    type: args.type,
                    name: args.name,
                    inputs: args.inputs,
                    id,
                    ...(args.id ? { importId: args.id } : {}),
                    ...(step ? { step } : {}),
                    // The wrapped monitor recorded the request's options before it called newResource.
                    options: registeredOptions.get(`${args.type} ${args.name}`)!,
                });
                return { id, state };
            },
            call: (args) => {
                calls.push({ token: args.token, ...(args.provider ? { provider: args.provider } : {}) });
                return mockCall(args, options.applications);
            },
        },
        "ucx-mail",
        "tenant",
        options.preview ?? false,
        // The organization a DIY backend always reports (pkg/backend/diy/backend.go).
        "organization",
    );
    recordRegisteredOptions(registeredOptions);
    pulumi.runtime.setAllConfig(
        rawStackConfig(config, options.rawConfig ?? {}),
        (options.secretKeys ?? []).map((key) => `ucx-mail:${key}`),
    );
    const previousNow = process.env.UCX_MAIL_NOW;
    if (options.now !== undefined) process.env.UCX_MAIL_NOW = options.now.toISOString();
    else delete process.env.UCX_MAIL_NOW;

    // The harness plays the language host (cmd/run/run.js in @pulumi/pulumi): an unhandled rejection while the
    // program runs, such as a failed invoke behind a component's outputs, fails the program.
    const unhandled: unknown[] = [];
    const testRunnerListeners = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", (reason) => void unhandled.push(reason));
    try {
        forgetProgramModules();
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const program = require(PROGRAM_PATH) as Record<string, unknown>;
        const outputs: Record<string, unknown> = {};
        const secretOutputs = new Set<string>();
        for (const [name, exported] of Object.entries(program)) {
            const { value, secret } = await settle(exported);
            outputs[name] = value;
            if (secret) secretOutputs.add(name);
        }
        await settings.waitForRPCs();
        // Node reports unhandled rejections once the microtask queue has drained.
        await new Promise((resolve) => setImmediate(resolve));
        if (unhandled.length > 0) throw unhandled[0];
        // A successful update saves its stack outputs; a preview saves nothing.
        if (!options.preview) {
            stackState.outputs = { ...outputs };
            stackState.secretOutputs = [...secretOutputs];
        }
        return { resources, calls, outputs, secretOutputs };
    } catch (error) {
        await settings.waitForRPCs().catch(() => undefined);
        throw new ProgramFailure(error, resources);
    } finally {
        process.removeAllListeners("unhandledRejection");
        for (const listener of testRunnerListeners) process.on("unhandledRejection", listener);
        if (previousNow === undefined) delete process.env.UCX_MAIL_NOW;
        else process.env.UCX_MAIL_NOW = previousNow;
    }
}

/** The resources of one type token, in declaration order. */
export function ofType(run: ProgramRun, type: string): DeclaredResource[] {
    return run.resources.filter((r) => r.type === type);
}
