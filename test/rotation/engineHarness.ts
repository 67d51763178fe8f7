// A stand-in for the Pulumi engine and for Entra, just large enough to run RotatingClientSecret through partial
// failures: every step can fail, and what the engine saves after a failure is what the next run starts from.
// Each rule below names the engine source (pulumi/pulumi) it follows.

import * as pulumi from "@pulumi/pulumi";
import { ROTATION_OUTPUT_NAMES, RotatingClientSecret, rotationLedgerProvider } from "../../components/clientSecret";
import { DAY_MS, NOW_ENV_VAR, type RotationState, type SlotName } from "../../components/rotationSchedule";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

export const COMPONENT = "ucx-mail-secret";
export const LEDGER = `${COMPONENT}-ledger`;
export const SLOT_RESOURCES: Record<SlotName, string> = { a: `${COMPONENT}-slot-a`, b: `${COMPONENT}-slot-b` };
/** A resource the exports do not depend on, such as the Exchange steps. */
export const LATER_RESOURCE = "ucx-mail-exchange";
const PASSWORD = "azuread:index/applicationPassword:ApplicationPassword";
const STACK_REFERENCE = "pulumi:pulumi:StackReference";

/** The steps a run can fail at. */
export const STEPS = ["saved-outputs", "ledger", "slot-a", "slot-b", "later"] as const;
export type StepName = (typeof STEPS)[number];

function stepOf(type: string, name: string): StepName | undefined {
    if (type === STACK_REFERENCE) return "saved-outputs";
    if (name === LEDGER) return "ledger";
    if (name === SLOT_RESOURCES.a) return "slot-a";
    if (name === SLOT_RESOURCES.b) return "slot-b";
    return name === LATER_RESOURCE ? "later" : undefined;
}

export interface LiveSecret {
    readonly keyId: string;
    readonly value: string;
    readonly endDate: string;
}

/** The app registration's password credentials, as Microsoft Graph keeps them. */
export class FakeApplication {
    readonly secrets = new Map<string, LiveSecret>();
    /**
     * The tenant's app management policy: restrictions.passwordCredentials[].maxLifetime in days (docs/operations.md,
     * "Tenant policy on secret lifetime"); undefined when the tenant has none.
     */
    maxLifetimeDays: number | undefined;
    private issued = 0;

    addPassword(endDate: string, nowMs: number): LiveSecret {
        const lifetimeMs = Date.parse(endDate) - nowMs;
        if (this.maxLifetimeDays !== undefined && lifetimeMs > this.maxLifetimeDays * DAY_MS) {
            // Graph's refusal as the azuread provider reports it (docs/operations.md quotes the whole message).
            throw new Error(
                "CredentialInvalidLifetimeAsPerAppPolicy: Credential lifetime exceeds the max value allowed as per " +
                    "assigned policy '00000000-0000-4000-8000-00000000a110'",
            );
        }
        this.issued++;
        const keyId = `00000000-0000-4000-8000-${String(this.issued).padStart(12, "0")}`;
        const secret = { keyId, value: `harness-secret-${this.issued}`, endDate };
        this.secrets.set(keyId, secret);
        return secret;
    }

    removePassword(keyId: string): void {
        this.secrets.delete(keyId);
    }

    byValue(value: unknown): LiveSecret | undefined {
        return [...this.secrets.values()].find((secret) => secret.value === value);
    }
}

interface SavedResource {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly inputs: Record<string, any>;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly outputs: Record<string, any>;
}

/** The stack's snapshot: what the engine has saved so far. */
export class EngineStack {
    readonly resources = new Map<string, SavedResource>();
    /** Replaced secrets not deleted yet: the engine marks them `delete: true` and deletes them in a later phase. */
    readonly pendingDeletes: string[] = [];
    /** The root stack resource's outputs. */
    outputs: Record<string, unknown> = {};
    /** The step each pending delete belongs to: a targeted run deletes only targeted resources. */
    readonly pendingDeleteSteps = new Map<string, StepName>();

    ledgerState(): RotationState | undefined {
        return this.resources.get(LEDGER)?.outputs.state;
    }

    /** `pulumi state delete` of the ledger: it leaves the snapshot, and nothing in the tenant changes. */
    forgetLedger(): void {
        this.resources.delete(LEDGER);
    }
}

export interface RunPlan {
    readonly nowMs: number;
    readonly rotationDays: number;
    readonly rotationKey: string;
    /** The steps that fail in this run; a step whose inputs never resolve is not attempted at all. */
    readonly failing?: ReadonlySet<StepName>;
    /** `pulumi up --target`: only these steps run; undefined targets every step. */
    readonly targets?: ReadonlySet<StepName>;
    /** `pulumi up --replace` (or a resource tainted with `pulumi state taint`); only the ledger is modelled. */
    readonly replace?: ReadonlySet<"ledger">;
    /**
     * The CLI stops after the last resource step and before the run ends (a cancel, a crash, a killed runner): the
     * steps already saved stay, and neither the outputs nor the pending deletes are written.
     */
    readonly stopsBeforeEnd?: boolean;
}

export interface RunResult {
    readonly succeeded: boolean;
    /** Which steps the run attempted, in order. */
    readonly attempted: StepName[];
    /** The secrets whose slot got a new secret in this run (replaced), by key id. */
    readonly replacedKeyIds: string[];
    /** The secrets deleted in this run, by key id. */
    readonly deletedKeyIds: string[];
    /** The failures, as the provider or the harness reported them. */
    readonly errors: string[];
}

/** A resource of the program that no export depends on, like the Exchange command. */
class LaterStep extends pulumi.CustomResource {
    constructor(name: string) {
        super("command:local:Command", name, {});
    }
}

/** The exports index.ts makes of the component, under the names the next run reads back. */
function exportsOf(component: RotatingClientSecret): Record<string, pulumi.Output<unknown>> {
    return {
        clientSecret: component.value,
        [ROTATION_OUTPUT_NAMES.exported]: component.exported,
        [ROTATION_OUTPUT_NAMES.expiresAt]: component.expiresAt,
        [ROTATION_OUTPUT_NAMES.nextRotationAt]: component.nextRotationAt,
        [ROTATION_OUTPUT_NAMES.previousExpiresAt]: component.previousExpiresAt,
    };
}

/** One `pulumi up` of the component (and of one unrelated resource) against the saved stack and the tenant. */
export async function runUpdate(stack: EngineStack, app: FakeApplication, plan: RunPlan): Promise<RunResult> {
    const failing = plan.failing ?? new Set<StepName>();
    const attempted: StepName[] = [];
    const replacedKeyIds: string[] = [];
    const errors: string[] = [];
    const fail = (step: StepName, message: string): never => {
        errors.push(`${step}: ${message}`);
        throw new Error(message);
    };
    const targeted = (step: StepName) => plan.targets === undefined || plan.targets.has(step);
    // A failed read ends the run: the engine cancels the deployment on a step error (deploymentExecutor.Execute in
    // deployment_executor.go), so what waits for the reference's outputs is never registered.
    let endRun: (reason: Error) => void = () => undefined;
    const runEnded = new Promise<never>((_resolve, reject) => (endRun = reject));
    runEnded.catch(() => undefined);

    await pulumi.runtime.setMocks(
        {
            async newResource(args) {
                const step = stepOf(args.type, args.name);
                // The component itself is no step: the engine only records it.
                if (step === undefined) return { id: "", state: {} };
                attempted.push(step);
                const injected = () => fail(step, `injected failure of ${args.name}`);
                if (args.type === STACK_REFERENCE) {
                    // A read the backend refuses (an unparsable name, an unknown stack: GetStackOutputs in
                    // pkg/backend/backend.go) fails the read step; the SDK rejects the reference's outputs
                    // (readResource in @pulumi/pulumi/runtime/resource.js), so nothing that uses them resolves.
                    // Reads are never skipped by --target (GenerateReadSteps in step_generator.go has no check).
                    if (failing.has(step)) {
                        endRun(new Error("the stack reference read failed"));
                        injected();
                    }
                    // The builtin provider's answer to a StackReference read (readStackReference in
                    // pkg/resource/deploy/builtins.go): the saved outputs and the names of the secret ones.
                    return {
                        id: String(args.id),
                        state: {
                            name: args.inputs.name,
                            outputs: { ...stack.outputs },
                            secretOutputNames: ["clientSecret"],
                        },
                    };
                }
                const saved = stack.resources.get(args.name);
                const id = `${args.name}-id`;
                if (saved !== undefined && !targeted(step)) {
                    // An untargeted resource keeps its old inputs and outputs: the engine stubs out Check and emits
                    // a same step (step_generator.go: "If not targeted, stub out the provider check").
                    return { id: saved.outputs.id ?? id, state: saved.outputs };
                }
                if (args.name === LEDGER) {
                    // The engine checks the new inputs against the old inputs, then diffs (step_generator.go). A
                    // targeted replacement is checked without the old inputs and replaced whatever they say
                    // (isTargetedReplace, and diff's "just return a replace diff", in step_generator.go).
                    const replacing = plan.replace?.has("ledger") === true && saved !== undefined;
                    const olds = replacing ? {} : (saved?.inputs ?? {});
                    const checked = (await rotationLedgerProvider.check!(olds, args.inputs)).inputs!;
                    if (saved !== undefined && !replacing) {
                        const diff = await rotationLedgerProvider.diff!(id, saved.outputs, checked);
                        // A same step keeps the old outputs (SameStep.Apply in pkg/resource/deploy/step.go).
                        if (!diff.changes) {
                            stack.resources.set(args.name, { inputs: checked, outputs: saved.outputs });
                            return { id, state: saved.outputs };
                        }
                    }
                    // A failed step leaves the old state in the snapshot (its mutation's End(step, false) in
                    // pkg/backend/snapshot.go marks nothing new).
                    if (failing.has(step)) injected();
                    // A replacement creates the new ledger; deleting the old one changes nothing in the tenant.
                    const outputs =
                        saved && !replacing
                            ? (await rotationLedgerProvider.update!(id, saved.outputs, checked)).outs!
                            : (await rotationLedgerProvider.create(checked)).outs;
                    // Each completed step is saved at once (SnapshotManager in pkg/backend/snapshot.go).
                    stack.resources.set(args.name, { inputs: checked, outputs });
                    return { id, state: outputs };
                }
                if (args.type === PASSWORD) {
                    // Every input of azuread_application_password is ForceNew (application_password_resource.go in
                    // terraform-provider-azuread): any change is a replacement, anything else a same step.
                    if (saved !== undefined && JSON.stringify(saved.inputs) === JSON.stringify(args.inputs)) {
                        return { id: saved.outputs.id, state: saved.outputs };
                    }
                    if (failing.has(step)) injected();
                    let created: LiveSecret;
                    try {
                        created = app.addPassword(String(args.inputs.endDate), plan.nowMs);
                    } catch (error) {
                        return fail(step, (error as Error).message);
                    }
                    const outputs = { ...args.inputs, id: created.keyId, keyId: created.keyId, value: created.value };
                    stack.resources.set(args.name, { inputs: args.inputs, outputs });
                    if (saved !== undefined) {
                        // Create-before-delete: the new secret first; the old one is only marked for deletion,
                        // which runs after every create and update (step_generator.go: "the delete step is
                        // generated later on, after all creates/updates finish").
                        replacedKeyIds.push(saved.outputs.keyId);
                        stack.pendingDeletes.push(saved.outputs.keyId);
                        stack.pendingDeleteSteps.set(saved.outputs.keyId, step);
                    }
                    return { id: created.keyId, state: outputs };
                }
                if (failing.has(step)) injected();
                stack.resources.set(args.name, { inputs: args.inputs, outputs: args.inputs });
                return { id, state: args.inputs };
            },
            call: () => ({}),
        },
        "ucx-mail",
        "tenant",
        false,
        // The organization a DIY backend always reports (pkg/backend/diy/backend.go).
        "organization",
    );

    const previousNow = process.env[NOW_ENV_VAR];
    process.env[NOW_ENV_VAR] = new Date(plan.nowMs).toISOString();
    // Failed registrations reject outputs nobody awaits; the run reports the failed step itself (errors).
    const testRunnerListeners = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", () => undefined);
    let registered: Record<string, unknown> = {};
    try {
        const component = new RotatingClientSecret(COMPONENT, {
            applicationId: "/applications/00000000-0000-4000-8000-0000000000b1",
            rotationDays: plan.rotationDays,
            rotationKey: plan.rotationKey,
        });
        new LaterStep(LATER_RESOURCE);
        const exported = exportsOf(component);
        try {
            const values = await Promise.race([
                Promise.all(
                    Object.values(exported).map((output) =>
                        (output as unknown as { promise(): Promise<unknown> }).promise(),
                    ),
                ),
                runEnded,
            ]);
            registered = Object.fromEntries(Object.keys(exported).map((name, index) => [name, values[index]]));
        } catch (error) {
            // The stack registers outputs only when every export resolved; otherwise it registers none
            // (Stack.initialize in @pulumi/pulumi/runtime/stack.js calls registerOutputs(undefined) in its finally),
            // and the error fails the program, so the run fails (the unhandled-rejection handler in
            // @pulumi/pulumi/cmd/run/run.js logs it as an error).
            registered = {};
            if (errors.length === 0) errors.push(`program: ${(error as Error).message}`);
        }
        // After a failed read the engine has cancelled the run, and the SDK's pending registrations never finish.
        await Promise.race([settings.waitForRPCs(), runEnded]).catch(() => undefined);
        await new Promise((resolve) => setImmediate(resolve));
    } finally {
        process.removeAllListeners("unhandledRejection");
        for (const listener of testRunnerListeners) process.on("unhandledRejection", listener);
        if (previousNow === undefined) delete process.env[NOW_ENV_VAR];
        else process.env[NOW_ENV_VAR] = previousNow;
    }

    // A stopped run keeps the steps the SnapshotManager already saved (pkg/backend/snapshot.go); it never reaches the
    // stack's RegisterResourceOutputs step (step_executor.go) or the deletes of performPostSteps (deployment_executor.go).
    if (plan.stopsBeforeEnd) errors.push("the run stopped before it ended");
    const succeeded = errors.length === 0;
    const deletedKeyIds: string[] = [];
    if (succeeded) {
        // The deletes of replaced resources, also those left pending by failed runs, run only when the run got
        // through every step (performPostSteps in deployment_executor.go, GenerateDeletes in step_generator.go).
        // A targeted run deletes only targeted resources (GenerateDeletes in step_generator.go).
        const deleting = stack.pendingDeletes.filter((keyId) => targeted(stack.pendingDeleteSteps.get(keyId)!));
        for (const keyId of deleting) {
            stack.pendingDeletes.splice(stack.pendingDeletes.indexOf(keyId), 1);
            stack.pendingDeleteSteps.delete(keyId);
            app.removePassword(keyId);
            deletedKeyIds.push(keyId);
        }
    }
    // Stack outputs are written when the run ends: a successful run's replace them; after an error, the registered
    // ones are laid over the old ones, whose absence proves nothing (executeRegisterResourceOutputs in
    // step_executor.go, called from deploymentExecutor.Execute in deployment_executor.go).
    if (!plan.stopsBeforeEnd) stack.outputs = succeeded ? registered : { ...stack.outputs, ...registered };
    return { succeeded, attempted, replacedKeyIds, deletedKeyIds, errors };
}
