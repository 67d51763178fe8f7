/**
 * Maps what Entra and Exchange Online answer to a plain message and the fix, following the vendor's troubleshooting
 * steps 1-6. Pure functions: every doctor check calls one of these with the raw error, tests call them directly.
 */

/** What the doctor tells the admin about one failure. */
export interface Diagnosis {
    /** What went wrong, in one sentence. */
    readonly message: string;
    /** What to do. */
    readonly fix: string;
}

/** The values a fix text quotes back, so it can be pasted as is. */
export interface FixContext {
    readonly tenantId: string;
    readonly clientId: string;
    readonly mailbox: string;
    readonly authorityHost: string;
    readonly timeoutMs: number;
    /** The Enterprise application object id (stack output servicePrincipalObjectId), when known. */
    readonly servicePrincipalObjectId?: string;
}

/** A failure below the protocol: no connection, no answer, TLS refused. */
export interface TransportFailure {
    /** Node or library error code, e.g. ECONNREFUSED, ETIMEDOUT, ENOTFOUND, CERT_HAS_EXPIRED. */
    readonly code?: string;
    /** True when the bounded timeout ran out. */
    readonly timedOut: boolean;
    /** Error text, used when the code says little. */
    readonly detail?: string;
}

/** What Entra returned for a refused token request. */
export interface EntraFailure {
    /** The AADSTS number, from error_codes or the description. */
    readonly aadsts?: number;
    /** OAuth error, e.g. invalid_client. */
    readonly error?: string;
    /** error_description, first line. */
    readonly description?: string;
}

const PROPAGATION_NOTE =
    "Exchange applies new service principals and permissions with a delay (often minutes, sometimes an hour): if you just made the change, wait and run the doctor again.";

/** Pulls the AADSTS number out of a text such as "AADSTS7000215: Invalid client secret provided". */
export function extractAadstsCode(text: string | undefined): number | undefined {
    const match = /AADSTS(\d{5,7})/.exec(text ?? "");
    return match ? Number(match[1]) : undefined;
}

/** Turns a token endpoint refusal into the fix (vendor troubleshooting step 1). */
export function diagnoseEntraFailure(failure: EntraFailure, context: FixContext): Diagnosis {
    const code = failure.aadsts ?? extractAadstsCode(failure.description);
    const said = failure.description ? ` Entra said: ${oneLine(failure.description)}` : "";
    switch (code) {
        case 7000215:
            return {
                message: `Invalid client secret (AADSTS7000215).${said}`,
                fix:
                    `The secret is wrong: you probably pasted the Secret ID instead of the secret Value, or it has a typo or extra characters. ` +
                    `Put the secret's Value in UCX_MAIL_CLIENT_SECRET (with ucx-mail: pulumi stack output clientSecret --show-secrets) ` +
                    `and enter the same value in the Imagicle suite (vendor troubleshooting step 1).`,
            };
        case 7000222:
            return {
                message: `The client secret has expired (AADSTS7000222).${said}`,
                fix:
                    `Rotate the secret now: pulumi config set ucx-mail:secretRotationKey <any new text>, then pulumi up, ` +
                    `then paste the new clientSecret output into the Imagicle suite's Email provider settings (vendor troubleshooting step 1).`,
            };
        case 700016:
            return {
                message: `Application ${context.clientId} was not found in tenant ${context.tenantId} (AADSTS700016).${said}`,
                fix:
                    `The app is not in this tenant. Check that --client-id is the app registration's Application (client) ID ` +
                    `(not an object id) and that --tenant is the Directory (tenant) ID where the app was registered ` +
                    `(stack outputs applicationClientId and tenantId) (vendor troubleshooting step 1).`,
            };
        case 90002:
            return {
                message: `Tenant ${context.tenantId} was not found (AADSTS90002).${said}`,
                fix:
                    `Check the Directory (tenant) ID for typos and that --cloud matches where the tenant lives ` +
                    `(public, usgov or china) (vendor troubleshooting step 1).`,
            };
        case 900023:
            return {
                message: `Entra does not read ${context.tenantId} as a tenant ID or domain (AADSTS900023).${said}`,
                fix:
                    `Give --tenant the Directory (tenant) ID exactly as Entra shows it (a GUID of 36 characters) or a verified domain ` +
                    `such as contoso.onmicrosoft.com, with nothing before or after it (vendor troubleshooting step 1).`,
            };
        case 50059:
            return {
                message: `Entra could not tell which tenant to use (AADSTS50059).${said}`,
                fix:
                    `App-only tokens need a tenant-specific authority: give --tenant the Directory (tenant) ID, never common or organizations, ` +
                    `and give --authority-host the host only (https://login.microsoftonline.com).`,
            };
        case 7000229:
            return {
                message: `The app has no Enterprise application (service principal) in this tenant (AADSTS7000229).${said}`,
                fix:
                    `Create it: run pulumi up (ucx-mail creates the Enterprise application); by hand, open the app registration in Entra and ` +
                    `follow "Managed application in local directory" > Create Service Principal, or run New-MgServicePrincipal -AppId ${context.clientId} ` +
                    `(Microsoft Graph PowerShell). Then run the Exchange steps again with the new Enterprise application's object id.`,
            };
        case 7000112:
            return {
                message: `The application is disabled (AADSTS7000112).${said}`,
                fix: `Enable it: Entra admin center > Enterprise applications > the app > Properties > "Enabled for users to sign in" = Yes.`,
            };
        case 500011:
            return {
                message: `Exchange Online was not found as a resource in this tenant (AADSTS500011).${said}`,
                fix:
                    `The token's scope names an Exchange Online host this tenant does not know. --cloud picks that host ` +
                    `(public: outlook.office365.com, usgov: outlook.office365.us, china: partner.outlook.cn): make it match the cloud the tenant lives in, ` +
                    `and check that the tenant has Exchange Online licences.`,
            };
        case 1002012:
        case 70011:
            return scopeDiagnosis(`AADSTS${code}`, said);
        case 53003:
            return {
                message: `A Conditional Access policy blocked the token (AADSTS53003).${said}`,
                fix: `Exclude the app's service principal from the blocking Conditional Access policy, or allow its sign-in location.`,
            };
        default:
            if (failure.error === "invalid_scope") return scopeDiagnosis(failure.error, said);
            return {
                message: `Entra refused the token request${code ? ` (AADSTS${code})` : failure.error ? ` (${failure.error})` : ""}.${said}`,
                fix:
                    `Check the tenant ID, the client ID and the secret (vendor troubleshooting step 1)` +
                    (code
                        ? `; the error code is explained at https://login.microsoftonline.com/error?code=${code}.`
                        : "."),
            };
    }
}

/** An app-only request must ask for https://<Exchange Online host>/.default; any other scope is refused. */
function scopeDiagnosis(code: string, said: string): Diagnosis {
    return {
        message: `Entra refused the requested scope (${code}).${said}`,
        fix:
            `Client-credentials tokens must ask for the resource followed by /.default (here https://outlook.office365.com/.default, ` +
            `or the --cloud equivalent), never a single permission such as IMAP.AccessAsApp. Check --cloud; the doctor builds the scope from it.`,
    };
}

/** Turns a transport failure towards any endpoint into the fix. */
export function diagnoseTransportFailure(
    what: string,
    endpoint: string,
    failure: TransportFailure,
    context: FixContext,
): Diagnosis {
    if (failure.timedOut) {
        return {
            message: `${what}: no answer from ${endpoint} within ${context.timeoutMs} ms.`,
            fix: `Check that ${endpoint} is the right endpoint and that a firewall or proxy lets this machine reach it (outbound TCP); then run again, or raise --timeout-ms for a slow link.`,
        };
    }
    switch (failure.code) {
        case "ECONNREFUSED":
            return {
                message: `${what}: ${endpoint} refused the connection.`,
                fix: `Check the host and port (defaults come from --cloud), and that nothing on the way blocks the port.`,
            };
        case "ENOTFOUND":
        case "EAI_AGAIN":
            return {
                message: `${what}: the name in ${endpoint} does not resolve.`,
                fix: `Check the host name and this machine's DNS.`,
            };
        case "CERT_HAS_EXPIRED":
        case "DEPTH_ZERO_SELF_SIGNED_CERT":
        case "SELF_SIGNED_CERT_IN_CHAIN":
        case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
        case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
        case "ERR_TLS_CERT_ALTNAME_INVALID":
            return {
                message: `${what}: the TLS certificate of ${endpoint} is not trusted (${failure.code}).`,
                fix: `A TLS-inspecting proxy or a wrong host is in the way: use Microsoft's host name, or trust the proxy's CA with NODE_EXTRA_CA_CERTS.`,
            };
        default:
            return {
                message: `${what}: could not talk to ${endpoint}${failure.code ? ` (${failure.code})` : ""}${
                    failure.detail ? `: ${oneLine(failure.detail)}` : ""
                }.`,
                fix: `Check the host, the port and the network path to ${endpoint}.`,
            };
    }
}

/** The roles check's fix when the token lacks Exchange application roles (admin consent). */
export function diagnoseMissingRoles(missing: readonly string[], found: readonly string[]): Diagnosis {
    return {
        message: `The token lacks ${missing.join(" and ")}; roles found: ${found.length > 0 ? found.join(", ") : "none"}.`,
        fix:
            `Admin consent is missing. Run pulumi up (ucx-mail grants IMAP.AccessAsApp and SMTP.SendAsApp with admin consent), ` +
            `or in Entra: App registrations > the app > API permissions > Add a permission > APIs my organization uses > ` +
            `Office 365 Exchange Online > Application permissions > ${missing.join(", ")} > Grant admin consent. New consent can take a few minutes to reach tokens.`,
    };
}

/** Turns an SMTP AUTH refusal (the reply line after AUTH XOAUTH2) into the fix (vendor troubleshooting steps 2, 4, 5, 6). */
export function diagnoseSmtpAuthReply(reply: string, context: FixContext): Diagnosis {
    const text = oneLine(reply);
    const enableSmtpAuth =
        `Enable SMTP AUTH (the procedure's last configuration step; vendor troubleshooting step 6): with ucx-mail set ` +
        `ucx-mail:smtpAuth to mailbox (default) or organization and run pulumi up; by hand ` +
        `Set-CASMailbox -Identity ${context.mailbox} -SmtpClientAuthenticationDisabled $false ` +
        `(or org-wide Set-TransportConfig -SmtpClientAuthenticationDisabled $false). ` +
        `Check: Get-CASMailbox -Identity ${context.mailbox} | Select-Object SmtpClientAuthenticationDisabled and ` +
        `Get-TransportConfig | Select-Object SmtpClientAuthenticationDisabled must print blank or False.`;
    if (/SmtpClientAuthentication is disabled for the Mailbox/i.test(text)) {
        return { message: `SMTP AUTH is disabled for mailbox ${context.mailbox}: ${text}`, fix: enableSmtpAuth };
    }
    if (/SmtpClientAuthentication is disabled/i.test(text)) {
        return { message: `SMTP AUTH is disabled for the organization: ${text}`, fix: enableSmtpAuth };
    }
    if (/basic authentication is disabled/i.test(text)) {
        return {
            message: `Exchange refused a password (Basic) SMTP login: ${text}`,
            fix:
                `Basic authentication for SMTP AUTH is off in this tenant (security defaults or an authentication policy), and ` +
                `Microsoft is retiring it. The doctor and the Imagicle suite log in with OAuth (XOAUTH2), which this does not block: ` +
                `make sure the suite's Email provider is Microsoft 365 (OAuth) with the app's client ID and secret, not a user name and password, ` +
                `and that nothing between this machine and Exchange rewrites the login.`,
        };
    }
    if (/security defaults/i.test(text)) {
        return {
            message: `Entra security defaults block SMTP AUTH: ${text}`,
            fix:
                `Security defaults do not allow SMTP AUTH. A Global Administrator turns them off in the Entra admin center ` +
                `(Overview > Properties > Manage security defaults) and protects sign-ins with Conditional Access instead; then run the doctor again.`,
        };
    }
    if (/did not meet the criteria/i.test(text)) {
        return {
            message: `A Conditional Access policy refused the SMTP login: ${text}`,
            fix: `Exclude the app's service principal from the Conditional Access policy that applies to it, then run the doctor again.`,
        };
    }
    return {
        message: `Exchange refused the SMTP XOAUTH2 login for ${context.mailbox}: ${text}`,
        fix: exchangeAccessFix(context, "SMTP.SendAsApp"),
    };
}

/** Turns an IMAP refusal into the fix (vendor troubleshooting steps 3, 4, 5). */
export function diagnoseImapReply(reply: string, context: FixContext): Diagnosis {
    const text = oneLine(reply);
    if (/authenticated but not connected/i.test(text)) {
        return {
            message: `Exchange accepted the token but will not open ${context.mailbox}: ${text}`,
            fix:
                `The app lacks FullAccess on the mailbox (vendor troubleshooting step 5): ` +
                `Add-MailboxPermission -Identity ${context.mailbox} -User ${enterpriseObjectId(context)} -AccessRights FullAccess -AutoMapping:$false ` +
                `(ucx-mail does this on pulumi up). Exchange also says this when the login names another mailbox than the one granted: ` +
                `--mailbox must be the mailbox's primary SMTP address. ${PROPAGATION_NOTE}`,
        };
    }
    return {
        message: `Exchange refused the IMAP XOAUTH2 login for ${context.mailbox}: ${text}`,
        fix: exchangeAccessFix(context, "IMAP.AccessAsApp"),
    };
}

/** Turns a refused test message into the fix. */
export function diagnoseSendReply(reply: string, recipient: string, context: FixContext): Diagnosis {
    const text = oneLine(reply);
    // Exchange says this either as 554 5.2.x ...SendAsDeniedException... or as 550 5.7.60 "Client does not have
    // permissions to send as this sender"; both are about the sender, never the recipient.
    if (/SendAsDenied|5\.7\.60|permissions to send as this sender/i.test(text)) {
        return {
            message: `Exchange refused to send as ${context.mailbox}: ${text}`,
            fix:
                `The app may send only as a mailbox it has FullAccess on, and the From address must be that mailbox. ` +
                `Check Get-MailboxPermission -Identity ${context.mailbox} lists the app's service principal with FullAccess; if not, ` +
                `Add-MailboxPermission -Identity ${context.mailbox} -User ${enterpriseObjectId(context)} -AccessRights FullAccess ` +
                `(vendor troubleshooting step 5; ucx-mail does this on pulumi up). ${PROPAGATION_NOTE}`,
        };
    }
    // 530 5.7.57: Exchange saw no successful login on this connection; it often quotes the AUTH refusal after "Error:".
    if (/5\.7\.57/.test(text) || /^535 /.test(text)) {
        return diagnoseSmtpAuthReply(text, context);
    }
    if (/^5\.1\.|\s5\.1\.\d/.test(text) || /^55[03] /.test(text)) {
        return {
            message: `The test message to ${recipient} was refused: ${text}`,
            fix: `Check the --send-test-to address; the login itself worked.`,
        };
    }
    return {
        message: `The test message to ${recipient} was refused: ${text}`,
        fix: `Read the server's reply above; the SMTP login worked, so the limit is on sending (quota, policy or recipient).`,
    };
}

function exchangeAccessFix(context: FixContext, role: string): string {
    return (
        `Exchange does not know the app or its rights yet. ` +
        `1) Service principal (vendor troubleshooting step 4): Get-ServicePrincipal | Where-Object { $_.AppId -eq "${context.clientId}" } must print one line; ` +
        `if not, New-ServicePrincipal -AppId ${context.clientId} -ObjectId ${enterpriseObjectId(context)} -DisplayName UCXSuiteMail. ` +
        `Use the Enterprise application's Object ID (stack output servicePrincipalObjectId), not the app registration's object id. ` +
        `2) FullAccess (step 5): Get-MailboxPermission -Identity ${context.mailbox} must list that service principal with FullAccess; ` +
        `if not, Add-MailboxPermission -Identity ${context.mailbox} -User ${enterpriseObjectId(context)} -AccessRights FullAccess. ` +
        `3) The ${role} application role must be in the token (see the roles check). ` +
        `ucx-mail does 1) and 2) on pulumi up (or prints them in exchangeSetupScript when exchangeAuth is manual). ${PROPAGATION_NOTE}`
    );
}

/** The Enterprise application object id to paste: the stack's value, else a placeholder to fill in. */
function enterpriseObjectId(context: FixContext): string {
    return context.servicePrincipalObjectId ?? "<Enterprise application object id>";
}

function oneLine(text: string): string {
    return text.replace(/\s+/g, " ").trim();
}
