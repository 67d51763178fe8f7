import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { REPO_ROOT } from "./runDoctor";

/** Where the fake ExchangeOnlineManagement module lives; first on PSModulePath, it stands in for Microsoft's. */
export const FAKE_EXCHANGE_MODULE_ROOT = join(REPO_ROOT, "test", "exchange", "fake");

/** One service principal as the fake tenant file holds it. */
export interface FakePrincipal {
    readonly AppId: string;
    readonly ObjectId: string;
    readonly DisplayName: string;
}

/** The fake tenant, in the JSON form test/exchange/fake reads (see New-FakeExchangeTenant). */
export interface FakeExchangeState {
    readonly organization: string;
    readonly accessToken: string;
    readonly servicePrincipals: readonly FakePrincipal[];
    /** Address -> its CAS settings and the object ids that hold FullAccess on it. */
    readonly mailboxes: Readonly<
        Record<
            string,
            { smtpClientAuthenticationDisabled: boolean | null; imapEnabled?: boolean; fullAccess: string[] }
        >
    >;
    readonly organizationSmtpDisabled: boolean;
    /** How Get-MailboxPermission shows a service principal in its User column (undocumented; every form is tested). */
    readonly permissionUserForm?: "DisplayName" | "ObjectId" | "AppId";
    /** Cmdlets the connecting identity's Exchange roles do not grant. */
    readonly missingCmdlets?: readonly string[];
}

/** The healthy tenant: the principal with the Enterprise application's object id and FullAccess, SMTP AUTH on. */
export function healthyFakeExchange(
    world: { tenant: { scenario: { clientId: string }; servicePrincipalObjectId: string }; mailbox: string },
    accessToken: string,
): FakeExchangeState {
    const objectId = world.tenant.servicePrincipalObjectId;
    return {
        organization: "contoso.onmicrosoft.com",
        accessToken,
        servicePrincipals: [{ AppId: world.tenant.scenario.clientId, ObjectId: objectId, DisplayName: "UCXSuiteMail" }],
        mailboxes: {
            [world.mailbox]: { smtpClientAuthenticationDisabled: null, imapEnabled: true, fullAccess: [objectId] },
        },
        organizationSmtpDisabled: false,
    };
}

/** A fake Exchange tenant on disk, shared with the doctor's pwsh child through UCX_FAKE_EXO_STATE. */
export interface FakeExchangeTenantFile {
    readonly path: string;
    /** The environment that points pwsh at the fake: the state file and the fake module first on PSModulePath. */
    env(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
    /** Every write cmdlet the fake recorded (must stay empty for the doctor). */
    writes(): unknown[];
    /** Every Connect-ExchangeOnline call, with its parameters (secrets masked by the fake). */
    connects(): Record<string, unknown>[];
    cleanup(): void;
}

/** Writes the fake tenant file. */
export function createFakeExchangeTenant(state: FakeExchangeState): FakeExchangeTenantFile {
    const dir = mkdtempSync(join(tmpdir(), "ucx-fake-exo-"));
    const path = join(dir, "tenant.json");
    const mailboxes = Object.fromEntries(
        Object.entries(state.mailboxes).map(([address, mailbox]) => [
            address.toLowerCase(),
            {
                smtpClientAuthenticationDisabled: mailbox.smtpClientAuthenticationDisabled,
                imapEnabled: mailbox.imapEnabled ?? true,
                popEnabled: false,
                permissions: mailbox.fullAccess.map((user) => ({
                    User: user,
                    AccessRights: ["FullAccess"],
                    Deny: false,
                    AutoMapping: false,
                })),
            },
        ]),
    );
    const tenant = {
        config: {
            organization: state.organization,
            propagationCalls: 0,
            throttleEvery: 0,
            principalIdProperty: "ObjectId",
            permissionUserForm: state.permissionUserForm ?? "DisplayName",
            entraServicePrincipals: null,
            entraLagCalls: 0,
            missingCmdlets: [...(state.missingCmdlets ?? [])],
            microDelayEvery: 0,
            connectError: null,
            expected: {
                appId: null,
                certificatePassword: null,
                accessToken: state.accessToken,
                managedIdentity: false,
            },
        },
        servicePrincipals: state.servicePrincipals.map((principal) => ({
            ...principal,
            Identity: principal.ObjectId,
            pendingCalls: 0,
        })),
        mailboxes,
        transportConfig: { smtpClientAuthenticationDisabled: state.organizationSmtpDisabled },
        callCount: 0,
        calls: {},
        writes: [],
        connects: [],
        disconnects: 0,
    };
    writeFileSync(path, JSON.stringify(tenant, null, 2));
    const read = (): { writes: unknown[]; connects: Record<string, unknown>[] } =>
        JSON.parse(readFileSync(path, "utf8").replace(/^\uFEFF/, ""));
    return {
        path,
        env: (base) => ({
            ...base,
            UCX_FAKE_EXO_STATE: path,
            PSModulePath: [FAKE_EXCHANGE_MODULE_ROOT, base.PSModulePath].filter(Boolean).join(delimiter),
        }),
        writes: () => read().writes,
        connects: () => read().connects,
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
}
