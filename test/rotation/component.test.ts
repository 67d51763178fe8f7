// RotatingClientSecret on its own under Pulumi's mocks: child names, the options the slots are declared with
// (create-before-delete, value kept secret), and the outputs the component hands to index.ts.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";

interface Declared {
    readonly type: string;
    readonly name: string;
    readonly opts: pulumi.CustomResourceOptions;
}

const declared: Declared[] = [];
const referenced: string[] = [];
const NOW = "2026-11-26T09:00:00Z";

pulumi.runtime.setMocks(
    {
        async newResource(args) {
            if (args.type === "pulumi:pulumi:StackReference") {
                referenced.push(String(args.inputs.name));
                // The stack's first run: no saved outputs yet (readStackReference in pkg/resource/deploy/builtins.go).
                return { id: String(args.id), state: { name: args.inputs.name, outputs: {}, secretOutputNames: [] } };
            }
            if (args.type.startsWith("pulumi-nodejs:dynamic")) {
                // The engine's preview shows a dynamic resource's checked inputs as its outputs.
                const { rotationLedgerProvider } = await import("../../components/clientSecret");
                const checked = await rotationLedgerProvider.check!({}, args.inputs);
                return { id: `${args.name}-id`, state: checked.inputs ?? {} };
            }
            const value = args.type.includes("ApplicationPassword") ? { value: `secret-of-${args.name}` } : {};
            return { id: `${args.name}-id`, state: { ...args.inputs, ...value } };
        },
        call: () => ({}),
    },
    "ucx-mail",
    "component",
    true,
    "organization",
);

function settled<T>(output: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const internal = output as any;
    return Promise.all([internal.promise(), internal.isSecret]).then(([value, secret]) => ({ value, secret }));
}

describe("RotatingClientSecret", () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let component: any;
    before(async () => {
        process.env.UCX_MAIL_NOW = NOW;
        const { RotatingClientSecret } = await import("../../components/clientSecret");
        component = new RotatingClientSecret(
            "mail-secret",
            { applicationId: "/applications/00000000-0000-4000-8000-000000000001", rotationDays: 90, rotationKey: "" },
            {
                transformations: [
                    (args) => {
                        declared.push({ type: args.type, name: args.name, opts: args.opts });
                        return undefined;
                    },
                ],
            },
        );
        await settled(component.expiresAt);
    });

    it("declares a ledger, two slots and a reference to the stack's own outputs as its children", () => {
        const children = declared.filter((d) => d.type !== "ucx-mail:index:RotatingClientSecret");
        assert.deepEqual(children.map((d) => d.name).sort(), [
            "mail-secret-ledger",
            "mail-secret-saved-outputs",
            "mail-secret-slot-a",
            "mail-secret-slot-b",
        ]);
        for (const child of children) assert.equal(child.opts.parent, component);
        assert.deepEqual(referenced, ["organization/ucx-mail/component"], "the stack it runs in, fully qualified");
    });

    it("replaces a slot create-before-delete and keeps its value secret", () => {
        const slots = declared.filter((d) => d.type === "azuread:index/applicationPassword:ApplicationPassword");
        assert.equal(slots.length, 2);
        for (const slot of slots) {
            assert.notEqual(slot.opts.deleteBeforeReplace, true, `${slot.name} must not delete before replacing`);
            assert.ok(slot.opts.additionalSecretOutputs?.includes("value"));
            assert.equal(slot.opts.ignoreChanges, undefined);
        }
    });

    it("exports the newest slot's value as a secret and the dates as plain ISO 8601", async () => {
        const value = await settled(component.value);
        assert.equal(value.secret, true);
        const exported = await settled(component.exportedSlot);
        // 2026-11-26 lies in period 230 of 90 days since the epoch: an even period renews slot a.
        assert.equal(exported.value, "a");
        assert.equal(value.value, "secret-of-mail-secret-slot-a");
        for (const name of ["expiresAt", "nextRotationAt", "previousExpiresAt"]) {
            const date = await settled(component[name] as pulumi.Output<string>);
            assert.equal(date.secret, false, `${name} is not secret`);
            assert.match(date.value, /^\d{4}-\d\d-\d\dT00:00:00Z$/);
        }
        assert.equal((await settled(component.nextRotationAt)).value, "2026-12-03T00:00:00Z");
        assert.equal((await settled(component.expiresAt)).value, "2027-03-03T00:00:00Z");
        assert.equal((await settled(component.previousExpiresAt)).value, "2026-12-03T00:00:00Z");
    });
});
