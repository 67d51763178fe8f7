/**
 * Maps what Entra and Exchange Online answer to a plain message and the fix, following the vendor's troubleshooting
 * steps 1-6. Pure functions: every doctor check calls one of these with the raw error, tests call them directly.
 * Each fact carries a one-line comment naming its source. "Entra error codes" is Microsoft's page "Microsoft Entra
 * authentication and authorization error codes" (learn.microsoft.com/entra/identity-platform/reference-error-codes).
 */

import { powerShellLiteral } from "../../components/exchangeSetupScript";

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
    /** The Enterprise application object id: --service-principal-object-id, else the stack output servicePrincipalObjectId, else the token oid. */
    readonly servicePrincipalObjectId?: string;
    /** The DisplayName New-ServicePrincipal gets: the stack's exchangeServicePrincipalName, else the project default. */
    readonly servicePrincipalName: string;
}

/** A failure below the protocol: no connection, no answer, TLS refused. */
export interface TransportFailure {
    /** Node or library error code, e.g. ECONNREFUSED, ETIMEDOUT, ENOTFOUND, CERT_HAS_EXPIRED. */
    readonly code?: string;
    /** True when the bounded timeout ran out. */
    readonly timedOut: boolean;
    /** How far the conversation got before the time ran out: the TCP (and TLS) connection, or the server's greeting. */
    readonly reached?: "connected" | "greeted";
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
    /** HTTP status of the token endpoint's answer. */
    readonly httpStatus?: number;
    /** Retry-After of a throttled answer, in seconds. */
    readonly retryAfterSeconds?: number;
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
                    `Rotate the secret now: pulumi config set --plaintext ucx-mail:secretRotationKey <any new text>, then pulumi up, ` +
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
                    `(public, usgov, dod or china) (vendor troubleshooting step 1).`,
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
                    `follow "Managed application in local directory" > Create Service Principal, or run New-MgServicePrincipal -AppId ${pasted(context.clientId)} ` +
                    `(Microsoft Graph PowerShell). Then run the Exchange steps again with the new Enterprise application's object id.`,
            };
        // Entra error codes: UnauthorizedClientApplicationDisabled, "The application is disabled". An admin may have
        // turned sign-in off, or Microsoft may have disabled the app (e.g. after a credential leak or abuse report).
        case 7000112:
            return {
                message: `The application is disabled (AADSTS7000112).${said}`,
                fix:
                    `Find out who disabled it first: Entra admin center > Enterprise applications > the app > Properties > "Enabled for users to sign in". ` +
                    `If an admin turned it off, set it back to Yes. If it is on there, Microsoft may have disabled the app itself ` +
                    `(disabledByMicrosoftStatus on the app registration, e.g. after a leaked credential): check the app registration's ` +
                    `Overview and Microsoft's notice, rotate the secret (pulumi config set --plaintext ucx-mail:secretRotationKey <any new text>, pulumi up) ` +
                    `and open a support case if it stays disabled.`,
            };
        // Entra error codes: 900382 "Confidential Client is not supported in Cross Cloud request"; 90038
        // NationalCloudTenantRedirection, the tenant belongs to another national cloud.
        case 900382:
        case 90038:
            return wrongCloudDiagnosis(code, failure.description, context, said);
        // Entra error codes: InvalidResource, "The resource is disabled or doesn't exist".
        case 50001:
            return {
                message: `Entra does not know the resource asked for (AADSTS50001).${said}`,
                fix:
                    `The scope names an Exchange Online host this cloud does not have: make --cloud match the tenant's cloud ` +
                    `(public: outlook.office365.com, usgov: outlook.office365.us, dod: outlook-dod.office365.us, china: partner.outlook.cn), ` +
                    `and check that Office 365 Exchange Online is licensed and enabled in the tenant.`,
            };
        // Entra error codes: 90033 MsodsServiceUnavailable, 90024 RequestBudgetExceededError ("A transient error has
        // occurred. Try again."), 50033 RetryableError: all transient on Entra's side.
        case 90033:
        case 90024:
        case 50033:
            if (failure.httpStatus === 429) return throttledDiagnosis(failure, said);
            return {
                message: `Entra had a temporary fault (AADSTS${code}).${said}`,
                fix: `This is transient on Microsoft's side, not a setup problem: wait a minute and run the doctor again. Nothing needs changing.`,
            };
        case 500011:
            return {
                message: `Exchange Online was not found as a resource in this tenant (AADSTS500011).${said}`,
                fix:
                    `The token's scope names an Exchange Online host this tenant does not know. --cloud picks that host ` +
                    `(public: outlook.office365.com, usgov: outlook.office365.us, dod: outlook-dod.office365.us, china: partner.outlook.cn): make it match the cloud the tenant lives in, ` +
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
        // Entra error codes: 90055 TenantThrottlingError, "There are too many incoming requests".
        case 90055:
            return throttledDiagnosis(failure, said);
        default:
            if (failure.error === "invalid_scope") return scopeDiagnosis(failure.error, said);
            // Microsoft Learn, MSAL "Client and server throttling": a client-credentials request that is throttled gets
            // HTTP 429 with Retry-After; 503 is the token endpoint being unavailable (RFC 6749 temporarily_unavailable).
            if (failure.httpStatus === 429 || failure.httpStatus === 503) return throttledDiagnosis(failure, said);
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

/** Throttled or unavailable token endpoint: a wait, not a setup problem. */
function throttledDiagnosis(failure: EntraFailure, said: string): Diagnosis {
    const code = failure.aadsts ?? extractAadstsCode(failure.description);
    const what = [code ? `AADSTS${code}` : undefined, failure.httpStatus ? `HTTP ${failure.httpStatus}` : undefined]
        .filter((part) => part !== undefined)
        .join(", ");
    const wait = failure.retryAfterSeconds ? `${failure.retryAfterSeconds} s (Retry-After)` : "a minute";
    return {
        message: `Entra is throttling token requests or is briefly unavailable (${what}).${said}`,
        fix:
            `Nothing in the setup needs changing and the secret is not the problem: wait ${wait} and run the doctor again. ` +
            `If it keeps happening, something in the tenant asks for tokens too often (a client that does not cache its token).`,
    };
}

// How Entra names a cloud in AADSTS90038 ("belongs to the National Cloud 'Prod'", "redirected to the National Cloud
// 'microsoftonline.us'": Entra error codes page and public reports such as tieto/sipe#182), mapped to --cloud.
const NATIONAL_CLOUD_NAMES: readonly [RegExp, string][] = [
    [/^(prod|worldwide|public|azurecloud|microsoftonline\.com)$/i, "public"],
    [/usgov|government|microsoftonline\.us|fairfax|arlington/i, "usgov"],
    [/china|mooncake|partner\.microsoftonline\.cn|21vianet/i, "china"],
];

/** The --cloud a 90038 text names, if the text names one the doctor knows. */
export function cloudNamedByEntra(description: string | undefined): string | undefined {
    const named = /National Cloud '([^']+)'/i.exec(description ?? "")?.[1]?.trim();
    if (named === undefined) return undefined;
    return NATIONAL_CLOUD_NAMES.find(([pattern]) => pattern.test(named))?.[1];
}

/** 90038 and 900382: the tenant lives in another cloud than the authority asked; name the right --cloud. */
function wrongCloudDiagnosis(
    code: number,
    description: string | undefined,
    context: FixContext,
    said: string,
): Diagnosis {
    const named = cloudNamedByEntra(description);
    const askedUsGov = /\.us(:\d+)?$/i.test(new URL(context.authorityHost).host);
    const registerNote =
        `The app must be registered in the tenant's own cloud, for US Government in the Azure Government portal ` +
        `(https://portal.azure.us), because a confidential client cannot get tokens across clouds.`;
    let fix: string;
    if (named === "public" || (named === undefined && askedUsGov)) {
        // GCC (not High) tenants live in the public cloud and sign in at login.microsoftonline.com.
        fix =
            `Ask the public cloud: --cloud public (also for GCC, which is not GCC High). ${named === undefined ? "If the tenant is GCC High or DoD, use --cloud usgov or --cloud dod. " : ""}` +
            `The app registration then belongs in https://portal.azure.com.`;
    } else if (named === "usgov") {
        fix = `Ask the US Government cloud: --cloud usgov for GCC High or --cloud dod for DoD (both sign in at login.microsoftonline.us). ${registerNote}`;
    } else if (named === "china") {
        fix = `Ask the 21Vianet cloud: --cloud china. ${registerNote}`;
    } else {
        fix =
            `Ask the tenant's own cloud: --cloud usgov for GCC High or --cloud dod for DoD (both sign in at login.microsoftonline.us), ` +
            `--cloud china for 21Vianet, --cloud public for the worldwide cloud and GCC. ${registerNote}`;
    }
    return {
        message: `The tenant lives in another Microsoft cloud than the authority ${context.authorityHost} (AADSTS${code}).${said}`,
        fix,
    };
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
    if (failure.timedOut && failure.reached === "greeted") {
        // Exchange answers a refused XOAUTH2 login only after seconds (public IMAP and SMTP logs show 5-7 s), so a
        // greeting followed by silence is a slow verdict, not a blocked port.
        return {
            message: `${what}: ${endpoint} answered, but the login did not finish within ${context.timeoutMs} ms.`,
            fix:
                `The network path works: the server greeted. Exchange can take several seconds to answer a login, longer when it refuses one. ` +
                `Run again with a longer limit, e.g. --timeout-ms ${Math.max(30_000, context.timeoutMs * 3)}, to see its verdict.`,
        };
    }
    if (failure.timedOut && failure.reached === "connected") {
        return {
            message: `${what}: connected to ${endpoint}, but no greeting came within ${context.timeoutMs} ms.`,
            fix:
                `Something accepts the connection but does not pass the server's greeting on: a proxy or TLS-inspecting firewall, or a port that ` +
                `speaks another protocol (Exchange Online: SMTP with STARTTLS on 587, IMAP with TLS on 993). Check the port and what sits on the way; ` +
                `on a very slow link, raise --timeout-ms.`,
        };
    }
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

/**
 * A token with IMAP.AccessAsApp but without SMTP.SendAsApp. Since October 2025 Exchange's RBAC for Applications can
 * grant SMTP ("Application SMTP.SendAsApp" with a management scope), and Microsoft then advises "Refrain from adding
 * any permissions to your application" (Microsoft Learn, "SMTP onboarding to App RBAC", smtp-app-rbac-onboarding;
 * Test-ServicePrincipalAuthorization cmdlet reference). So this is a warning; the smtp check decides.
 */
export function diagnoseSmtpRoleMaybeViaRbac(found: readonly string[]): Diagnosis {
    return {
        message: `The token has no SMTP.SendAsApp (roles found: ${found.join(", ")}); that is right only when SMTP is granted by Exchange's RBAC for Applications.`,
        fix:
            `If the smtp check passes, SMTP comes from RBAC for Applications and nothing needs doing. If it fails, either grant SMTP.SendAsApp ` +
            `with admin consent (pulumi up does), or in Exchange: New-ManagementRoleAssignment -App <service principal> -Role "Application SMTP.SendAsApp" ` +
            `-CustomResourceScope <management scope>, and check it with Test-ServicePrincipalAuthorization -Identity <service principal> -Resource <mailbox>.`,
    };
}

// RFC 5321 section 4.2.1: a 4yz reply is a transient negative completion; the same command may succeed later.
const TRANSIENT_SMTP_REPLY = /^4\d\d[ -]/;

/** Any 4xx reply (e.g. Exchange's "451 4.7.0 Temporary server error"): retry, no permission advice. */
function diagnoseTransientSmtpReply(text: string, what: string): Diagnosis | undefined {
    if (!TRANSIENT_SMTP_REPLY.test(text)) return undefined;
    return {
        message: `Exchange gave a temporary refusal to ${what}: ${text}`,
        fix: `A 4xx reply is transient (RFC 5321): nothing in the setup needs changing. Wait a few minutes and run the doctor again; if it persists for hours, check the Microsoft 365 service health page.`,
    };
}

/** Replies that say the sender or the whole tenant may not send; they are not about the recipient. */
function diagnoseSenderRestriction(text: string, context: FixContext): Diagnosis | undefined {
    // Microsoft Learn, restricted users ("Remove blocked users from the Restricted entities page"): "550 5.1.8 Access
    // denied, bad outbound sender": the account is suspected of sending spam and may no longer send out.
    if (/\b5\.1\.8\b/.test(text)) {
        return {
            message: `Exchange has blocked ${context.mailbox} from sending (restricted sender): ${text}`,
            fix:
                `The mailbox is on the Restricted entities list, usually after sending what looked like spam. Find out why (a leaked secret can mean someone ` +
                `else sent through it: rotate it with pulumi config set --plaintext ucx-mail:secretRotationKey <any new text> and pulumi up), then release it in the ` +
                `Microsoft Defender portal (Email & collaboration > Review > Restricted entities, https://security.microsoft.com/restrictedentities). The recipient is not the problem.`,
        };
    }
    // Microsoft Learn, "Fix NDR error 550 5.7.700 through 550 5.7.750 in Exchange Online": 5.7.750 "Client blocked
    // from sending from unregistered domain": much mail from domains not added and validated as accepted domains.
    if (/\b5\.7\.750\b/.test(text)) {
        return {
            message: `Exchange has blocked the tenant from sending from unregistered domains: ${text}`,
            fix:
                `Send only from a domain the tenant has verified (Microsoft 365 admin center > Settings > Domains): the mailbox's primary SMTP address ` +
                `must be in such a domain. Once it is, Microsoft support can lift the block. The recipient is not the problem.`,
        };
    }
    // Same article: 5.7.705 "Access denied, tenant has exceeded threshold": the tenant sent too much spam or bulk mail
    // (or its subscription just lapsed), and Exchange blocks all its outgoing mail.
    if (/\b5\.7\.705\b/.test(text)) {
        return {
            message: `Exchange has blocked outgoing mail for the whole tenant (tenant threshold exceeded): ${text}`,
            fix:
                `The tenant sent too much spam or bulk mail (often a compromised account, connector or server), or its subscription lapsed. ` +
                `Find and stop the source (a leaked secret can be it: rotate with pulumi config set --plaintext ucx-mail:secretRotationKey <any new text> and pulumi up), ` +
                `then open a Microsoft 365 support case to lift the block. The recipient is not the problem.`,
        };
    }
    // Microsoft Learn, "Fix NDR error 550 5.7.501, 5.7.502, 5.7.503 in Exchange Online": spam abuse detected, banned
    // sender, connection refused: outgoing mail from the tenant was blocked after spam was detected.
    if (/\b5\.7\.50[1-3]\b/.test(text)) {
        return {
            message: `Exchange has blocked the tenant's outgoing mail after detecting spam: ${text}`,
            fix:
                `Outgoing mail was blocked because spam left the tenant. Find the source (a compromised account or a leaked secret: rotate it), ` +
                `make sure the domain's SPF/DKIM/DMARC are in place, and ask Microsoft 365 support to lift the block. The recipient is not the problem.`,
        };
    }
    // Microsoft Learn, "Email non-delivery reports and SMTP errors in Exchange Online": 5.1.7 "Invalid address" — the
    // sender's address is missing or malformed.
    if (/\b5\.1\.7\b/.test(text)) {
        return {
            message: `Exchange refused the sender address: ${text}`,
            fix:
                `The From address must be the mailbox the app logs in as (${context.mailbox}), spelled as its primary SMTP address. ` +
                `The recipient is not the problem.`,
        };
    }
    // Same article: 5.7.708 "Access denied, traffic not accepted from this IP": low-reputation IPs typically used by new
    // customers (for example a trial tenant).
    if (/\b5\.7\.708\b/.test(text)) {
        return {
            message: `Exchange is not accepting outbound mail from this tenant: ${text}`,
            fix:
                `The tenant's outbound mail is restricted (common for a new tenant or after spam). Verify the sending domain and open a Microsoft 365 ` +
                `support case to lift the restriction. The recipient is not the problem.`,
        };
    }
    return undefined;
}

/** 550 5.7.60, 554 5.2.252 SendAsDenied and 554 5.2.0 SendAsDeniedException: the login may not send as the From address. */
function diagnoseSendAsDenied(text: string, context: FixContext): Diagnosis | undefined {
    // Microsoft Learn, "Fix issues with printers, scanners, and LOB applications that send email using Office 365":
    // 5.7.60 "Client does not have permissions to send as this sender" (From differs from the login); public logs
    // (no Microsoft page) show "554 5.2.252 SendAsDenied; <login> not allowed to send as <address>" and "554 5.2.0
    // STOREDRV.Submission.Exception:SendAsDeniedException" (MicrosoftDocs/OfficeDocs-Support#1187: the From must be
    // the authenticated mailbox or one it may send as). Exchange checks SendAs for the mailbox named in user=.
    if (!/SendAsDenied|\b5\.7\.60\b|permissions to send as this sender/i.test(text)) return undefined;
    const objectId = enterpriseObjectId(context);
    return {
        message: `Exchange refused to send as this From address: ${text}`,
        fix:
            `Exchange checks SendAs for the mailbox the app logs in as (${context.mailbox}). Simplest: make the From address ${context.mailbox} itself. ` +
            `To send as another address, grant the login mailbox SendAs on it: Add-RecipientPermission -Identity <address> -Trustee ${pasted(context.mailbox)} -AccessRights SendAs; ` +
            `if that alone does not help, grant it to the app's service principal too (-Trustee ${objectId}). ` +
            `For ${context.mailbox} itself, check that the service principal has FullAccess (Get-MailboxPermission -Identity ${pasted(context.mailbox)}; ` +
            `if missing, Add-MailboxPermission -Identity ${pasted(context.mailbox)} -User ${objectId} -AccessRights FullAccess -AutoMapping $false; ` +
            `vendor troubleshooting step 5). ${PROPAGATION_NOTE}`,
    };
}

/** Turns an SMTP AUTH refusal (the reply line after AUTH XOAUTH2) into the fix (vendor troubleshooting steps 2, 4, 5, 6). */
export function diagnoseSmtpAuthReply(reply: string, context: FixContext): Diagnosis {
    const text = oneLine(reply);
    const transient = diagnoseTransientSmtpReply(text, "the SMTP login");
    if (transient) return transient;
    const enableSmtpAuth =
        `Enable SMTP AUTH (the procedure's last configuration step; vendor troubleshooting step 6): with ucx-mail set ` +
        `ucx-mail:smtpAuth to mailbox (default) or organization and run pulumi up; by hand ` +
        `Set-CASMailbox -Identity ${pasted(context.mailbox)} -SmtpClientAuthenticationDisabled $false ` +
        `(or org-wide Set-TransportConfig -SmtpClientAuthenticationDisabled $false). ` +
        `Check: Get-CASMailbox -Identity ${pasted(context.mailbox)} | Select-Object SmtpClientAuthenticationDisabled and ` +
        `Get-TransportConfig | Select-Object SmtpClientAuthenticationDisabled must print blank or False.`;
    // Microsoft Learn, "Enable or disable SMTP AUTH in Exchange Online" (aka.ms/smtp_auth_disabled): 5.7.139 texts.
    if (/SmtpClientAuthentication is disabled for the Mailbox/i.test(text)) {
        return { message: `SMTP AUTH is disabled for mailbox ${context.mailbox}: ${text}`, fix: enableSmtpAuth };
    }
    if (/SmtpClientAuthentication is disabled/i.test(text)) {
        return { message: `SMTP AUTH is disabled for the organization: ${text}`, fix: enableSmtpAuth };
    }
    // Microsoft Learn, "Deprecation of Basic authentication in Exchange Online": password logins are refused.
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
    // Microsoft Learn, "Security defaults in Microsoft Entra ID": they block legacy (Basic) authentication only; an
    // app-only XOAUTH2 login is modern authentication. So this reply means a password login reached Exchange.
    if (/security defaults/i.test(text)) {
        return {
            message: `Exchange refused a password (Basic) SMTP login under Entra security defaults: ${text}`,
            fix:
                `Security defaults block Basic (user name and password) logins, not the suite's OAuth app: leave them on. ` +
                `This reply means a password login reached Exchange, so the client is not using XOAUTH2. Set the suite's Email provider to ` +
                `Microsoft 365 (OAuth) with the app's client ID, tenant ID and secret, and check that no relay or proxy between it and Exchange ` +
                `replaces the login with a password.`,
        };
    }
    // "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully"
    // answers password (Basic) logins that a policy blocks (public reports, e.g. gophish/gophish#3220 with SMTP
    // passwords); Conditional Access on the app itself fails earlier, at the token (Entra error codes 53003).
    if (/did not meet the criteria/i.test(text)) {
        return {
            message: `Exchange refused a password (Basic) SMTP login by policy: ${text}`,
            fix:
                `A policy blocks user name and password logins (an Exchange authentication policy, security defaults or a Conditional Access ` +
                `policy for legacy authentication). The suite's OAuth app is not affected: Conditional Access on the app would already have ` +
                `failed the token check (AADSTS53003). Make sure the suite's Email provider is Microsoft 365 (OAuth) with the app's client ID, ` +
                `tenant ID and secret, not a user name and password, and that no relay or proxy on the way replaces the login with a password.`,
        };
    }
    const restricted = diagnoseSenderRestriction(text, context);
    if (restricted) return restricted;
    // Microsoft Learn, "Authenticate an IMAP, POP or SMTP connection using OAuth": 535 5.7.3 when Exchange does not
    // know the service principal or its mailbox rights; RBAC for Applications grants are checked with
    // Test-ServicePrincipalAuthorization ("Role Based Access Control for Applications in Exchange Online").
    return {
        message: `Exchange refused the SMTP XOAUTH2 login for ${context.mailbox}: ${text}`,
        fix:
            `${exchangeAccessFix(context, "SMTP.SendAsApp")} If SMTP is granted through RBAC for Applications instead of SMTP.SendAsApp in Entra, ` +
            `check it with Test-ServicePrincipalAuthorization -Identity ${enterpriseObjectId(context)} -Resource ${pasted(context.mailbox)}: ` +
            `the "Application SMTP.SendAsApp" role must be InScope for this mailbox.`,
    };
}

/** Turns an IMAP refusal into the fix (vendor troubleshooting steps 3, 4, 5). */
export function diagnoseImapReply(reply: string, context: FixContext): Diagnosis {
    const text = oneLine(reply);
    // Cause order from public reports: the identity that logged in lacks access to the mailbox in user= (FullAccess
    // missing or not yet applied, or not the primary address): jstedfast/MailKit#1135, simonrob/email-oauth2-proxy#74
    // and #275, and imapflow, which turns this reply to NAMESPACE into an AuthenticationFailure (imap-flow.js,
    // connect()). IMAP disabled on the mailbox comes second.
    if (/authenticated but not connected/i.test(text)) {
        return {
            message: `Exchange accepted the token but will not open ${context.mailbox}: ${text}`,
            fix:
                `Check, in this order: 1) ${fullAccessStep(context)} 2) ${imapEnabledStep(context)} 3) Otherwise too many IMAP connections to ` +
                `the mailbox or a transient fault at Microsoft: close other clients and run the doctor again later. ${PROPAGATION_NOTE} ` +
                `With --exchange the doctor checks 1) and 2) itself.`,
        };
    }
    return {
        message: `Exchange refused the IMAP XOAUTH2 login for ${context.mailbox}: ${text}`,
        fix: `${exchangeAccessFix(context, "IMAP.AccessAsApp")} 4) ${imapEnabledStep(context)}`,
    };
}

/** FullAccess for the service principal on the mailbox named in user=: the first cause of an IMAP refusal. */
function fullAccessStep(context: FixContext): string {
    return (
        `The app's service principal has FullAccess on exactly this mailbox (vendor troubleshooting step 5): ` +
        `Add-MailboxPermission -Identity ${pasted(context.mailbox)} -User ${enterpriseObjectId(context)} -AccessRights FullAccess -AutoMapping $false; ` +
        `a new grant can take a while to apply, and --mailbox must be the mailbox's primary SMTP address, not an alias.`
    );
}

/** IMAP enabled on the mailbox (Set-CASMailbox): Exchange refuses app logins to a mailbox with IMAP off. */
function imapEnabledStep(context: FixContext): string {
    return (
        `IMAP is enabled on the mailbox: Get-CASMailbox -Identity ${pasted(context.mailbox)} | Select-Object ImapEnabled must print True; ` +
        `if not, Set-CASMailbox -Identity ${pasted(context.mailbox)} -ImapEnabled $true (ucx-mail does this when mailboxProtocols is enable); ` +
        `the change takes effect after up to about 30 minutes.`
    );
}

const RECIPIENT_STATUS = /(^|\s)5\.(1\.(1|2|3|6|10)|2\.2|4\.1)(\s|$)/;

/** Turns a refused test message into the fix. */
export function diagnoseSendReply(reply: string, recipient: string, context: FixContext): Diagnosis {
    const text = oneLine(reply);
    const transient = diagnoseTransientSmtpReply(text, "the test message");
    if (transient) return transient;
    const sendAs = diagnoseSendAsDenied(text, context);
    if (sendAs) return sendAs;
    const restricted = diagnoseSenderRestriction(text, context);
    if (restricted) return restricted;
    // 530 5.7.57: Exchange saw no successful login on this connection; it often quotes the AUTH refusal after "Error:".
    if (/5\.7\.57/.test(text) || /^535 /.test(text)) {
        return diagnoseSmtpAuthReply(text, context);
    }
    // Recipient statuses only (RFC 3463: 5.1.1 bad destination mailbox, 5.1.2 bad destination system, 5.1.3 bad
    // destination address syntax, 5.1.6 mailbox has moved, 5.2.2 mailbox full; Exchange's 5.1.10 recipient not found
    // and 5.4.1 recipient address rejected). Sender and tenant statuses are handled above; any other 550 is not the
    // recipient's fault by default.
    if (RECIPIENT_STATUS.test(text)) {
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
        `1) Service principal (vendor troubleshooting step 4): Get-ServicePrincipal | Where-Object { $_.AppId -eq ${pasted(context.clientId)} } must print one line; ` +
        `if not, New-ServicePrincipal -AppId ${pasted(context.clientId)} -ObjectId ${enterpriseObjectId(context)} -DisplayName ${pasted(context.servicePrincipalName)}. ` +
        `Use the Enterprise application's Object ID (stack output servicePrincipalObjectId), not the app registration's object id. ` +
        `2) FullAccess (step 5): Get-MailboxPermission -Identity ${pasted(context.mailbox)} must list that service principal with FullAccess; ` +
        `if not, Add-MailboxPermission -Identity ${pasted(context.mailbox)} -User ${enterpriseObjectId(context)} -AccessRights FullAccess -AutoMapping $false. ` +
        `3) The ${role} application role must be in the token (see the roles check). ` +
        `ucx-mail does 1) and 2) on pulumi up (or prints them in exchangeSetupScript when exchangeAuth is manual); --exchange checks them. ${PROPAGATION_NOTE}`
    );
}

/**
 * A value for a PowerShell line the admin pastes: the manual script's literal quoting, because stack outputs, flags
 * and tenant replies are untrusted and an unquoted `|`, `;` or `$(...)` would run when pasted.
 */
export function pasted(value: string): string {
    return powerShellLiteral(value);
}

/** The Enterprise application object id to paste (quoted): the flag's, the stack's or the token's oid; else a placeholder. */
export function enterpriseObjectId(context: Pick<FixContext, "servicePrincipalObjectId">): string {
    return context.servicePrincipalObjectId === undefined
        ? "<Enterprise application object id>"
        : pasted(context.servicePrincipalObjectId);
}

/** Collapses whitespace so a multi-line server reply prints as one line. */
export function oneLine(text: string): string {
    return text.replace(/\s+/g, " ").trim();
}
