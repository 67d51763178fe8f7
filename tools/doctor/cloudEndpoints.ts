/** The Microsoft cloud instance a tenant lives in. */
export type CloudName = "public" | "usgov" | "china";

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
}

// Values from Microsoft's national-cloud documentation (Entra authentication endpoints, Exchange Online
// endpoints for GCC High and for Office 365 operated by 21Vianet).
export const CLOUD_ENDPOINTS: Readonly<Record<CloudName, CloudEndpoints>> = {
    public: {
        authorityHost: "https://login.microsoftonline.com",
        exchangeResourceHost: "outlook.office365.com",
        smtpHost: "smtp.office365.com",
        smtpPort: 587,
        imapHost: "outlook.office365.com",
        imapPort: 993,
    },
    usgov: {
        authorityHost: "https://login.microsoftonline.us",
        exchangeResourceHost: "outlook.office365.us",
        smtpHost: "smtp.office365.us",
        smtpPort: 587,
        imapHost: "outlook.office365.us",
        imapPort: 993,
    },
    china: {
        authorityHost: "https://login.partner.microsoftonline.cn",
        exchangeResourceHost: "partner.outlook.cn",
        smtpHost: "smtp.partner.outlook.cn",
        smtpPort: 587,
        imapHost: "partner.outlook.cn",
        imapPort: 993,
    },
};

/** True when the string names a supported cloud. */
export function isCloudName(value: string): value is CloudName {
    return Object.prototype.hasOwnProperty.call(CLOUD_ENDPOINTS, value);
}
