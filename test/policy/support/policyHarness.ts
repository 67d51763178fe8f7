// Runs a policy the way the CrossGuard engine does, without the engine: builds ResourceValidationArgs or
// StackValidationArgs around props wrapped in the engine's unknown-checking proxy, and collects what it reports.

import * as path from "node:path";
import type {
    Policy,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";

/** The policy pack's folder; @pulumi/policy is resolved from there, like the policies themselves do. */
export const POLICY_DIR = path.resolve(__dirname, "..", "..", "..", "policy");

interface ProxyModule {
    unknownCheckingProxy<T>(value: T): T;
    UnknownValueError: new (...args: never[]) => Error;
    unknownStringValue: unknown;
    unknownArrayValue: unknown;
    unknownObjectValue: unknown;
}

// The proxy helpers are internal to @pulumi/policy (no typings); the same copy the policies load must be used.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require(require.resolve("@pulumi/policy/proxy", { paths: [POLICY_DIR] })) as ProxyModule;

/** Values that are unknown during preview, as the engine hands them to policies. */
export const UNKNOWN = {
    string: proxy.unknownStringValue,
    array: proxy.unknownArrayValue,
    object: proxy.unknownObjectValue,
};

export interface ReportedViolation {
    readonly message: string;
    readonly urn?: string;
}

/** What one policy run produced. */
export interface PolicyOutcome {
    readonly violations: ReportedViolation[];
    /** Set when the policy declared itself not applicable. */
    readonly notApplicable?: string;
    /** Set when the policy hit a value unknown during preview (the engine reports it as advisory). */
    readonly unfinishedInPreview?: string;
}

export interface RunSettings {
    /** The policy's config as `--policy-pack-config` would give it (without enforcementLevel). */
    readonly config?: Record<string, unknown>;
    /** Resource name for resource policies. */
    readonly name?: string;
}

class NotApplicableSignal extends Error {
    constructor(readonly reason: string) {
        super(reason);
    }
}

function throwNotApplicable(reason?: string): never {
    throw new NotApplicableSignal(reason ?? "not applicable");
}

type ResourceClass = { new (...rest: never[]): unknown };

function pulumiTypeOf(resourceClass: ResourceClass): string | undefined {
    return (resourceClass as unknown as { __pulumiType?: string }).__pulumiType;
}

/** The options the engine reports for a resource that sets none. */
function defaultResourceOptions() {
    return {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
    };
}

function urnOf(type: string, name: string): string {
    return `urn:pulumi:tenant::ucx-mail::${type}::${name}`;
}

async function collect(run: (report: ReportViolation) => unknown): Promise<PolicyOutcome> {
    const violations: ReportedViolation[] = [];
    const report: ReportViolation = (message: string, urn?: string) => {
        violations.push(urn === undefined ? { message } : { message, urn });
    };
    try {
        await run(report);
        return { violations };
    } catch (error) {
        if (error instanceof NotApplicableSignal) {
            return { violations, notApplicable: error.reason };
        }
        if (error instanceof proxy.UnknownValueError) {
            return { violations, unfinishedInPreview: error.message };
        }
        throw error;
    }
}

function isResourcePolicy(policy: Policy): policy is ResourceValidationPolicy {
    return (policy as ResourceValidationPolicy).validateResource !== undefined;
}

function isStackPolicy(policy: Policy): policy is StackValidationPolicy {
    return typeof (policy as StackValidationPolicy).validateStack === "function";
}

/** Runs a resource policy on one resource of `type` (a Pulumi type token) with `props` as its inputs. */
export async function checkResource(
    policy: Policy,
    type: string,
    props: Record<string, unknown>,
    settings: RunSettings = {},
): Promise<PolicyOutcome> {
    if (!isResourcePolicy(policy) || policy.validateResource === undefined) {
        throw new Error(`${policy.name} is not a resource policy`);
    }
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    const name = settings.name ?? "subject";
    const proxied = proxy.unknownCheckingProxy(props);
    const args: ResourceValidationArgs = {
        type,
        props: proxied,
        urn: urnOf(type, name),
        name,
        opts: defaultResourceOptions(),
        stackTags: new Map(),
        isType: (resourceClass: ResourceClass) => pulumiTypeOf(resourceClass) === type,
        asType: ((resourceClass: ResourceClass) =>
            pulumiTypeOf(resourceClass) === type ? proxied : undefined) as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => ({ ...(settings.config ?? {}) }) as T,
        notApplicable: throwNotApplicable,
    };
    return collect(async (report) => {
        for (const validation of validations) {
            await validation(args, report);
        }
    });
}

/** A resource as a stack policy sees it; dependencies name other resources of the same list. */
export interface StackResourceShape {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, unknown>;
    readonly dependsOn?: readonly string[];
}

/** Runs a stack policy over `resources`. */
export async function checkStack(
    policy: Policy,
    resources: readonly StackResourceShape[],
    settings: RunSettings = {},
): Promise<PolicyOutcome> {
    if (!isStackPolicy(policy)) {
        throw new Error(`${policy.name} is not a stack policy`);
    }
    const built = new Map<string, PolicyResource>();
    for (const shape of resources) {
        const proxied = proxy.unknownCheckingProxy(shape.props);
        built.set(shape.name, {
            type: shape.type,
            props: proxied,
            urn: urnOf(shape.type, shape.name),
            name: shape.name,
            opts: defaultResourceOptions(),
            dependencies: [],
            propertyDependencies: {},
            isType: (resourceClass: ResourceClass) => pulumiTypeOf(resourceClass) === shape.type,
            asType: ((resourceClass: ResourceClass) =>
                pulumiTypeOf(resourceClass) === shape.type ? proxied : undefined) as PolicyResource["asType"],
        });
    }
    for (const shape of resources) {
        const resource = built.get(shape.name) as PolicyResource;
        for (const dependency of shape.dependsOn ?? []) {
            const target = built.get(dependency);
            if (target === undefined) {
                throw new Error(`${shape.name} depends on unknown resource ${dependency}`);
            }
            resource.dependencies.push(target);
        }
    }
    const args: StackValidationArgs = {
        resources: [...built.values()],
        stackTags: new Map(),
        getConfig: <T extends object>() => ({ ...(settings.config ?? {}) }) as T,
        notApplicable: throwNotApplicable,
    };
    return collect((report) => policy.validateStack(args, report));
}

/** Runs any policy: resource policies once per resource, stack policies once over all of them. */
export async function checkAll(
    policy: Policy,
    resources: readonly StackResourceShape[],
    settings: RunSettings = {},
): Promise<PolicyOutcome[]> {
    if (isStackPolicy(policy)) {
        return [await checkStack(policy, resources, settings)];
    }
    const outcomes: PolicyOutcome[] = [];
    for (const resource of resources) {
        outcomes.push(await checkResource(policy, resource.type, resource.props, { ...settings, name: resource.name }));
    }
    return outcomes;
}
