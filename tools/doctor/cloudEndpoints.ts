/** The Microsoft cloud instance a tenant lives in. */
export type CloudName = "public" | "usgov" | "dod" | "china";

/** Default Entra and Exchange Online endpoints for one cloud instance. */
export interface CloudEndpoints {
    /** Entra ID sign-in host, as an https origin. */
    readonly authorityHost: string;
    /** Exchange Online resource host; the token scope is https://<this>/.default. */
    readonly exchangeResourceHost: string;
    /** SMTP AUTH client submission host (STARTTLS). */
    readonly smtpHost: string;
    /** SMTP AUTH client submission port. */
    readonly smtpPort: number;
    /** IMAP host (implicit TLS). */
    readonly imapHost: string;
    /** IMAP port. */
    readonly imapPort: number;
    /** The Azure portal of this cloud, where the app registration must live. */
    readonly portal: string;
    /** Connect-ExchangeOnline -ExchangeEnvironmentName for this cloud. */
    readonly exchangeEnvironmentName: string;
    /** Microsoft Graph service root (https origin); also the token resource, https://<host>/.default. */
    readonly graphHost: string;
}

// Each value names its source. Authority and resource hosts: Microsoft's CSS-Exchange
// Shared/AzureFunctions/Get-CloudServiceEndpoint.ps1 (Global, USGovernmentL4, USGovernmentL5, ChinaCloud) and the Entra
// national-cloud authentication endpoints page. Environment names: the Connect-ExchangeOnline reference
// (-ExchangeEnvironmentName O365Default, O365USGovGCCHigh, O365USGovDoD, O365China).
export const CLOUD_ENDPOINTS: Readonly<Record<CloudName, CloudEndpoints>> = {
    public: {
        authorityHost: "https://login.microsoftonline.com",
        // "Authenticate an IMAP, POP or SMTP connection using OAuth": scope https://outlook.office365.com/.default.
        exchangeResourceHost: "outlook.office365.com",
        // Same article: SMTP AUTH on smtp.office365.com:587, IMAP on outlook.office365.com:993.
        smtpHost: "smtp.office365.com",
        smtpPort: 587,
        imapHost: "outlook.office365.com",
        imapPort: 993,
        portal: "https://portal.azure.com",
        exchangeEnvironmentName: "O365Default",
        // "Microsoft Graph national cloud deployments" (Microsoft Graph and Graph Explorer service root endpoints).
        graphHost: "https://graph.microsoft.com",
    },
    usgov: {
        // Get-CloudServiceEndpoint.ps1 USGovernmentL4 (GCC High): login.microsoftonline.us, outlook.office365.us.
        authorityHost: "https://login.microsoftonline.us",
        exchangeResourceHost: "outlook.office365.us",
        // smtp.office365.us:587 as widely used (postalsys/emailengine lib/oauth2-apps.js, "gcc-high"); Microsoft's GCC High
        // endpoint list names outlook.office365.us for 587, which --smtp-host can give instead.
        smtpHost: "smtp.office365.us",
        smtpPort: 587,
        imapHost: "outlook.office365.us",
        imapPort: 993,
        // Azure Government portal (Azure Government documentation, "Azure Government developer guide").
        portal: "https://portal.azure.us",
        exchangeEnvironmentName: "O365USGovGCCHigh",
        // Same page: Microsoft Graph for US Government L4 (GCC High) is graph.microsoft.us.
        graphHost: "https://graph.microsoft.us",
    },
    dod: {
        // Get-CloudServiceEndpoint.ps1 USGovernmentL5 (DoD): login.microsoftonline.us, outlook-dod.office365.us.
        authorityHost: "https://login.microsoftonline.us",
        exchangeResourceHost: "outlook-dod.office365.us",
        // Microsoft's "Office 365 U.S. Government DoD endpoints" (ID 4: outlook-dod.office365.us, TCP 587 and 993); the
        // same host in postalsys/emailengine lib/oauth2-apps.js ("dod"). There is no smtp-dod host.
        smtpHost: "outlook-dod.office365.us",
        smtpPort: 587,
        imapHost: "outlook-dod.office365.us",
        imapPort: 993,
        portal: "https://portal.azure.us",
        exchangeEnvironmentName: "O365USGovDoD",
        // Same page: US Government L5 (DoD) has its own Graph, dod-graph.microsoft.us.
        graphHost: "https://dod-graph.microsoft.us",
    },
    china: {
        // Get-CloudServiceEndpoint.ps1 ChinaCloud: login.partner.microsoftonline.cn, partner.outlook.cn.
        authorityHost: "https://login.partner.microsoftonline.cn",
        exchangeResourceHost: "partner.outlook.cn",
        // Office 365 operated by 21Vianet endpoints: SMTP AUTH on smtp.partner.outlook.cn:587.
        smtpHost: "smtp.partner.outlook.cn",
        smtpPort: 587,
        imapHost: "partner.outlook.cn",
        imapPort: 993,
        // Azure operated by 21Vianet portal.
        portal: "https://portal.azure.cn",
        exchangeEnvironmentName: "O365China",
        // Same page: Microsoft Graph China operated by 21Vianet.
        graphHost: "https://microsoftgraph.chinacloudapi.cn",
    },
};

/** True when the string names a supported cloud. */
export function isCloudName(value: string): value is CloudName {
    return Object.prototype.hasOwnProperty.call(CLOUD_ENDPOINTS, value);
}
