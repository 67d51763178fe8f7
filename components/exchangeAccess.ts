// The Exchange Online half of the vendor procedure: New-ServicePrincipal, FullAccess on the mailboxes and SMTP
// client authentication, run by one command resource under pwsh, or exported as a script in manual mode.

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ExchangeConnectionSettings, ExchangeRoleName, MailboxProtocolMode, SmtpAuthScope } from "./config";
import { CONTRACT, ENVIRONMENT } from "./contract";
import { EXCHANGE_PARTS_FILE, renderExchangeSetupScript } from "./exchangeSetupScript";

/** The entry script, relative to the project directory (where Pulumi runs the program and the command provider). */
export const EXCHANGE_ENTRY_SCRIPT = "components/exchange/Invoke-UcxMailExchange.ps1";

/** pwsh runs the entry script; the command text appended after it is only the operation word. */
export const EXCHANGE_INTERPRETER: readonly string[] = [
    "pwsh",
    "-NoProfile",
    "-NonInteractive",
    "-File",
    EXCHANGE_ENTRY_SCRIPT,
];

/** The permissions assumed when none are given: the config default. */
const DEFAULT_PERMISSIONS: readonly ExchangeRoleName[] = ["IMAP.AccessAsApp", "SMTP.SendAsApp"];

/** Operation words passed to the entry script: fixed literals, never a config value. */
export const EXCHANGE_OPERATIONS = { create: "apply", update: "apply", delete: "remove" } as const;

/** The read-only original-state command: it records on create and on every update, before the writer runs. */
const EXCHANGE_OPERATIONS_RECORD = { create: "record", update: "record" } as const;

/** The writer's variable that carries the original-state record (the record command's stdout). */
export const EXCHANGE_ORIGINAL_VARIABLE = "UCX_EXCHANGE_ORIGINAL";

export interface ExchangeMailboxAccessArgs {
    /** Application (client) id of the UCX app: New-ServicePrincipal -AppId. */
    readonly appId: pulumi.Input<string>;
    /** Object id of the enterprise application: New-ServicePrincipal -ObjectId and Add-MailboxPermission -User. */
    readonly servicePrincipalObjectId: pulumi.Input<string>;
    /** DisplayName given to the Exchange service principal (exchangeServicePrincipalName). */
    readonly servicePrincipalName: string;
    /** Mailboxes that get FullAccess (and SMTP AUTH in mailbox scope). */
    readonly mailboxes: readonly string[];
    /** Where SMTP client authentication is enabled (smtpAuth). */
    readonly smtpAuth: SmtpAuthScope;
    /** The Exchange Online application roles granted (permissions): they say whether IMAP and POP are needed. */
    readonly permissions?: readonly ExchangeRoleName[];
    /** Whether IMAP (and POP) are enabled on each mailbox when the permissions need them (mailboxProtocols). */
    readonly mailboxProtocols?: MailboxProtocolMode;
    /** How the Exchange steps connect (exchangeAuth and friends); holds no secret. */
    readonly connection: ExchangeConnectionSettings;
    /** The automation app's client secret (clientSecret mode). */
    readonly clientSecret?: pulumi.Input<string>;
    /** The PFX password (certificate mode). */
    readonly certificatePassword?: pulumi.Input<string>;
    /** Resources the Exchange steps wait for: the admin-consent assignments. */
    readonly adminConsent: readonly pulumi.Resource[];
}

/** The non-secret environment of the command: every value the script needs, none in the command text. */
export function exchangeCommandEnvironment(
    args: Pick<
        ExchangeMailboxAccessArgs,
        | "appId"
        | "servicePrincipalObjectId"
        | "servicePrincipalName"
        | "mailboxes"
        | "smtpAuth"
        | "connection"
        | "permissions"
        | "mailboxProtocols"
    >,
): Record<string, pulumi.Input<string>> {
    const { connection } = args;
    const environment: Record<string, pulumi.Input<string>> = {
        [ENVIRONMENT.auth]: connection.mode,
        [ENVIRONMENT.organization]: connection.organization ?? "",
        [ENVIRONMENT.appId]: args.appId,
        [ENVIRONMENT.servicePrincipalObjectId]: args.servicePrincipalObjectId,
        [ENVIRONMENT.servicePrincipalName]: args.servicePrincipalName,
        [ENVIRONMENT.mailboxes]: JSON.stringify(args.mailboxes),
        [ENVIRONMENT.smtpAuth]: args.smtpAuth,
        [ENVIRONMENT.maxWaitMinutes]: String(connection.maxWaitMinutes),
        [ENVIRONMENT.permissions]: JSON.stringify(args.permissions ?? DEFAULT_PERMISSIONS),
        [ENVIRONMENT.mailboxProtocols]: args.mailboxProtocols ?? "enable",
    };
    // Only a national cloud sets it: a public stack's command keeps exactly the environment it had before.
    if (connection.cloud !== undefined && connection.cloud !== "public")
        environment[ENVIRONMENT.cloud] = connection.cloud;
    if (connection.managedIdentityAccountId !== undefined)
        environment[ENVIRONMENT.managedIdentityAccountId] = connection.managedIdentityAccountId;
    if (connection.appId !== undefined) environment[ENVIRONMENT.automationAppId] = connection.appId;
    if (connection.certificatePath !== undefined) environment[ENVIRONMENT.certificatePath] = connection.certificatePath;
    if (connection.adminUpn !== undefined) environment[ENVIRONMENT.adminUpn] = connection.adminUpn;
    return environment;
}

/**
 * Options of the command resource. No triggers: every value is in `environment`, so changes are updates. If Pulumi
 * must still replace it, the old delete runs first, so it cannot undo what the new create just did.
 */
export function exchangeCommandOptions(
    parent: pulumi.Resource,
    adminConsent: readonly pulumi.Resource[],
): pulumi.CustomResourceOptions {
    return {
        parent,
        dependsOn: [...adminConsent],
        deleteBeforeReplace: true,
        additionalSecretOutputs: ["stdout", "stderr"],
    };
}

/** One entry of components/exchange/parts.json. */
export interface ExchangeModulePart {
    /** Path of the part, relative to components/exchange. */
    readonly file: string;
    /** Whether the part changes Exchange Online (a read-only load skips it). */
    readonly writes: boolean;
}

/** The module's parts in load order, from the one list that the PowerShell loader reads too. */
export function exchangeModuleParts(): ExchangeModulePart[] {
    const list = JSON.parse(fs.readFileSync(path.join(__dirname, EXCHANGE_PARTS_FILE), "utf8")) as {
        parts: ExchangeModulePart[];
    };
    return list.parts;
}

/** contract/ucx-mail.json without its `sources` and `about` entries: the values the manual script renders. */
export function moduleContractText(): string {
    return JSON.stringify(CONTRACT, (key, value: unknown) =>
        key === "sources" || key === "about" ? undefined : value,
    );
}

/** The PowerShell module that the manual script embeds: every part, concatenated in load order. */
export function readExchangeModuleSource(): string {
    const directory = path.join(__dirname, path.dirname(EXCHANGE_PARTS_FILE));
    return exchangeModuleParts()
        .map((part) => fs.readFileSync(path.join(directory, part.file), "utf8").trimEnd())
        .join("\n\n");
}

export class ExchangeMailboxAccess extends pulumi.ComponentResource {
    /** The command resource that runs the Exchange steps; absent in manual mode. */
    readonly command?: command.local.Command;
    /** The read-only command that records the tenant before the steps write; absent in manual mode. */
    readonly originalRecord?: command.local.Command;
    /** Manual mode: the idempotent script to paste after Connect-ExchangeOnline. Undefined otherwise. */
    readonly setupScript: pulumi.Output<string | undefined>;
    /** The JSON line of the last run (what was found and changed); undefined in manual mode. */
    readonly report: pulumi.Output<string | undefined>;

    constructor(name: string, args: ExchangeMailboxAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ucx-mail:index:ExchangeMailboxAccess", name, {}, opts);

        if (args.connection.mode === "manual") {
            const moduleSource = readExchangeModuleSource();
            this.setupScript = pulumi
                .all([args.appId, args.servicePrincipalObjectId])
                .apply(([appId, servicePrincipalObjectId]) =>
                    renderExchangeSetupScript({
                        appId,
                        servicePrincipalObjectId,
                        servicePrincipalName: args.servicePrincipalName,
                        mailboxes: args.mailboxes,
                        smtpAuth: args.smtpAuth,
                        permissions: args.permissions ?? DEFAULT_PERMISSIONS,
                        mailboxProtocols: args.mailboxProtocols ?? "enable",
                        maxWaitMinutes: args.connection.maxWaitMinutes,
                        moduleSource,
                        moduleContract: moduleContractText(),
                        cloud: args.connection.cloud,
                    }),
                );
            this.report = pulumi.output(undefined);
            this.registerOutputs({ setupScript: this.setupScript });
            return;
        }

        const environment: Record<string, pulumi.Input<string>> = exchangeCommandEnvironment(args);
        if (args.connection.mode === "clientSecret" && args.clientSecret !== undefined) {
            environment[ENVIRONMENT.clientSecret] = pulumi.secret(args.clientSecret);
        }
        if (args.connection.mode === "certificate" && args.certificatePassword !== undefined) {
            environment[ENVIRONMENT.certificatePassword] = pulumi.secret(args.certificatePassword);
        }

        // The provider keeps stdout only when a step succeeds (pulumi-command local/commandController.go: run() returns
        // before it sets Stdout; pulumi-go-provider infer returns no partial state), so a failed writer leaves no record
        // of its writes. This read-only command stores how the tenant looked before the writer runs; the writer merges it.
        this.originalRecord = new command.local.Command(
            `${name}-original`,
            {
                interpreter: [...EXCHANGE_INTERPRETER],
                create: EXCHANGE_OPERATIONS_RECORD.create,
                update: EXCHANGE_OPERATIONS_RECORD.update,
                environment,
                // The record only grows: values it holds already were read before ucx-mail wrote anything.
                addPreviousOutputInEnv: true,
                logging: "stderr",
            },
            exchangeCommandOptions(this, args.adminConsent),
        );

        this.command = new command.local.Command(
            `${name}-steps`,
            {
                interpreter: [...EXCHANGE_INTERPRETER],
                create: EXCHANGE_OPERATIONS.create,
                update: EXCHANGE_OPERATIONS.update,
                // Delete gets the last JSON line as PULUMI_COMMAND_STDOUT and restores what it recorded.
                delete: EXCHANGE_OPERATIONS.delete,
                environment: { ...environment, [EXCHANGE_ORIGINAL_VARIABLE]: this.originalRecord.stdout },
                // Update also needs the last JSON line: it says which mailboxes to revoke and what to restore.
                addPreviousOutputInEnv: true,
                // Progress during long waits: the provider streams stderr lines live (util.LogOutput, as ephemeral Info
                // status) and redacts nothing, so only stderr, which the script masks; stdout (the JSON) stays out.
                logging: "stderr",
            },
            exchangeCommandOptions(this, args.adminConsent),
        );
        this.setupScript = pulumi.output(undefined);
        this.report = this.command.stdout;
        this.registerOutputs({ report: this.report });
    }
}
