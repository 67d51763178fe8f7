import { createSign, createVerify, generateKeyPairSync, KeyObject, randomUUID } from "node:crypto";

/** How SMTP AUTH is set up on the Exchange side. */
export type SmtpAuthState = "enabled" | "disabledForTenant" | "disabledForMailbox" | "securityDefaults";

/** The Entra and Exchange Online state of one customer tenant, as a test scenario sets it. */
export interface TenantScenario {
    /** Directory (tenant) ID Entra knows. */
    tenantId: string;
    /** Application (client) ID of the app registration. */
    clientId: string;
    /** The client secret's Value. */
    clientSecret: string;
    /** True when the secret's end date has passed. */
    secretExpired: boolean;
    /** Exchange Online application roles with admin consent; they end up in the token's roles claim. */
    consentedRoles: string[];
    /** New-ServicePrincipal was run with the Enterprise application's object id. */
    exchangeServicePrincipal: boolean;
    /** Mailboxes the service principal has FullAccess on (Add-MailboxPermission). */
    fullAccessMailboxes: string[];
    /** SMTP client authentication on the organization and the mailbox. */
    smtpAuth: SmtpAuthState;
    /** ImapEnabled on the mailbox (Set-CASMailbox). */
    imapEnabled: boolean;
    /**
     * How Exchange answers an app login to a mailbox with IMAP off. Undocumented, so both forms are tested: the login
     * accepted and every command "not connected", or "NO AUTHENTICATE failed." at once. Default notConnected.
     */
    imapDisabledAnswer?: "notConnected" | "authenticateFailed";
    /** When set, the token endpoint refuses with this Entra answer (see ENTRA_REFUSALS). */
    tokenRefusal?: EntraRefusalName;
    /** When set, the SMTP server answers AUTH with this reply (see SMTP_REPLY). */
    smtpAuthReply?: SmtpReplyName;
    /** When set, the SMTP server refuses the test message at the end of DATA with this reply. */
    sendReply?: SmtpReplyName;
}

/** Entra refusals the token server can give; texts and numbers live beside the server. */
export type EntraRefusalName =
    | "crossCloud"
    | "nationalCloud"
    | "nationalCloudProd"
    | "invalidResource"
    | "transient"
    | "appDisabled"
    | "throttled"
    | "tooManyRequests";
/** SMTP replies the SMTP server can give; texts live beside the server. */
export type SmtpReplyName =
    | "temporaryServerError"
    | "sendAsDenied"
    | "sendAsPermission"
    | "badOutboundSender"
    | "unregisteredDomains"
    | "trafficNotAccepted"
    | "tenantThreshold"
    | "spamAbuse"
    | "invalidSender"
    | "sendAsDeniedStoreDriver"
    | "criteriaNotMet"
    | "recipientNotFound";

/** The claims the fake Exchange reads back from a token it verified. */
export interface VerifiedClaims {
    readonly aud: string;
    readonly tid: string;
    readonly appid: string;
    readonly roles: readonly string[];
}

export const EXCHANGE_AUDIENCE = "https://outlook.office365.com";

/** A good tenant: consented roles, Exchange service principal, FullAccess on the mailbox, SMTP AUTH on. */
export function healthyScenario(mailbox: string): TenantScenario {
    return {
        tenantId: "7d2a3f4e-1b2c-4d5e-8f90-a1b2c3d4e5f6",
        clientId: "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b",
        clientSecret: `Qx8~${randomUUID().replace(/-/g, "")}.sEcReT`,
        secretExpired: false,
        consentedRoles: ["IMAP.AccessAsApp", "SMTP.SendAsApp"],
        exchangeServicePrincipal: true,
        fullAccessMailboxes: [mailbox],
        smtpAuth: "enabled",
        imapEnabled: true,
    };
}

/**
 * One tenant seen from both sides: Entra issues RS256 tokens signed with a key made at test time, and the fake
 * Exchange servers verify them with the matching public key, the way Exchange Online trusts Entra.
 */
export class FakeTenant {
    scenario: TenantScenario;
    readonly servicePrincipalObjectId = randomUUID();
    private readonly privateKey: KeyObject;
    private readonly publicKey: KeyObject;
    private readonly keyId = randomUUID();
    /** Every access token issued, so tests can assert that none is printed. */
    readonly issuedTokens: string[] = [];

    constructor(scenario: TenantScenario) {
        this.scenario = scenario;
        const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
        this.privateKey = pair.privateKey;
        this.publicKey = pair.publicKey;
    }

    /** Issues an app-only access token for Exchange Online, shaped like Entra's v1 tokens for this resource. */
    issueAccessToken(audience: string): string {
        const now = Math.floor(Date.now() / 1000);
        const claims: Record<string, unknown> = {
            aud: audience,
            iss: `https://sts.windows.net/${this.scenario.tenantId}/`,
            iat: now,
            nbf: now,
            exp: now + 3599,
            app_displayname: "ImagicleEmailProvider",
            appid: this.scenario.clientId,
            appidacr: "1",
            idp: `https://sts.windows.net/${this.scenario.tenantId}/`,
            // Access token claims reference: idtyp "app" marks an app-only token.
            idtyp: "app",
            oid: this.servicePrincipalObjectId,
            sub: this.servicePrincipalObjectId,
            tid: this.scenario.tenantId,
            uti: randomUUID().replace(/-/g, ""),
            ver: "1.0",
        };
        // Entra leaves the roles claim out entirely when no application permission has consent.
        if (this.scenario.consentedRoles.length > 0) {
            claims.roles = [...this.scenario.consentedRoles];
        }
        const header = { typ: "JWT", alg: "RS256", kid: this.keyId };
        const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
        const signature = createSign("RSA-SHA256").update(signingInput).sign(this.privateKey).toString("base64url");
        const token = `${signingInput}.${signature}`;
        this.issuedTokens.push(token);
        return token;
    }

    /** Verifies signature, expiry, tenant and audience; returns the claims, or undefined for a token to refuse. */
    verifyAccessToken(token: string): VerifiedClaims | undefined {
        const parts = token.split(".");
        if (parts.length !== 3) return undefined;
        const valid = createVerify("RSA-SHA256")
            .update(`${parts[0]}.${parts[1]}`)
            .verify(this.publicKey, Buffer.from(parts[2], "base64url"));
        if (!valid) return undefined;
        const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as Record<string, unknown>;
        if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) return undefined;
        if (claims.tid !== this.scenario.tenantId || claims.aud !== EXCHANGE_AUDIENCE) return undefined;
        return {
            aud: claims.aud as string,
            tid: claims.tid as string,
            appid: String(claims.appid),
            roles: Array.isArray(claims.roles) ? (claims.roles as string[]) : [],
        };
    }

    /** Exchange's view: may this token act on this mailbox with this role? */
    mayAccessMailbox(claims: VerifiedClaims, mailbox: string, role: string): boolean {
        return (
            claims.roles.includes(role) &&
            this.scenario.exchangeServicePrincipal &&
            this.scenario.fullAccessMailboxes.some((granted) => granted.toLowerCase() === mailbox.toLowerCase())
        );
    }
}

function base64url(text: string): string {
    return Buffer.from(text, "utf8").toString("base64url");
}
