// Stand-in client secret until the two-slot rotation lands: one password whose end date comes from period
// boundaries, so repeated runs inside a period change nothing.

import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RotatingClientSecretArgs {
    /** The app registration's Pulumi id, "/applications/<objectId>". */
    readonly applicationId: pulumi.Input<string>;
    /** Rotation period P in days (secretRotationDays). */
    readonly rotationDays: number;
    /** Changing it forces a rotation now (secretRotationKey). */
    readonly rotationKey: string;
}

export class RotatingClientSecret extends pulumi.ComponentResource {
    readonly value: pulumi.Output<string>;
    readonly expiresAt: pulumi.Output<string>;
    readonly nextRotationAt: pulumi.Output<string>;
    readonly previousExpiresAt: pulumi.Output<string | undefined>;

    constructor(name: string, args: RotatingClientSecretArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ucx-mail:index:RotatingClientSecret", name, {}, opts);
        const periodMs = args.rotationDays * DAY_MS;
        const period = Math.floor(Date.now() / periodMs);
        const endDate = new Date((period + 2) * periodMs).toISOString();
        const password = new azuread.ApplicationPassword(
            `${name}-slot-a`,
            { applicationId: args.applicationId, displayName: `ucx-mail period ${period}`, endDate },
            { parent: this, additionalSecretOutputs: ["value"] },
        );
        this.value = pulumi.secret(password.value);
        this.expiresAt = pulumi.output(endDate);
        this.nextRotationAt = pulumi.output(new Date((period + 1) * periodMs).toISOString());
        this.previousExpiresAt = pulumi.output(undefined);
        this.registerOutputs({ expiresAt: this.expiresAt, nextRotationAt: this.nextRotationAt });
    }
}
