// Bad stack configurations, each with the key its error must name and a word of the fix it must give. Values are
// as Pulumi stores them (lists and numbers as JSON text). Shared by the parser tests and the program tests.
// BAD_CONFIGS all pass the Pulumi CLI's own check of Pulumi.yaml's types, so the program really sees them;
// CLI_REFUSED_CONFIGS never reach the program: the CLI stops first, with the message given.

const MAILBOXES = JSON.stringify(["fax@contoso.com"]);

export const BAD_CONFIGS: ReadonlyArray<[string, Record<string, unknown>, string, RegExp]> = [
    ["empty mailbox list", { mailboxes: "[]" }, "mailboxes", /mailboxes\[0\]/],
    ["mailbox with a quote", { mailboxes: JSON.stringify(["fax'@contoso.com"]) }, "mailboxes", /mailboxes\[0\]/],
    ["mailbox with $()", { mailboxes: JSON.stringify(["$(whoami)@contoso.com"]) }, "mailboxes", /plain e-mail/],
    ["mailbox with a display name", { mailboxes: JSON.stringify(["Fax <fax@contoso.com>"]) }, "mailboxes", /plain/],
    ["duplicate mailbox", { mailboxes: JSON.stringify(["a@contoso.com", "A@contoso.com"]) }, "mailboxes", /twice/],
    ["unknown permission", { mailboxes: MAILBOXES, permissions: '["Mail.Send"]' }, "permissions", /POP.AccessAsApp/],
    [
        "legacy EWS permission",
        { mailboxes: MAILBOXES, permissions: '["full_access_as_app"]' },
        "permissions",
        /legacy EWS/,
    ],
    ["empty permission list", { mailboxes: MAILBOXES, permissions: "[]" }, "permissions", /config rm permissions/],
    ["owner that is not a GUID", { mailboxes: MAILBOXES, owners: '["alice@contoso.com"]' }, "owners", /Object ID/],
    ["smtpAuth typo", { mailboxes: MAILBOXES, smtpAuth: "tenant" }, "smtpAuth", /organization/],
    ["rotation days too small", { mailboxes: MAILBOXES, secretRotationDays: "3" }, "secretRotationDays", /7 to 365/],
    ["rotation days too large", { mailboxes: MAILBOXES, secretRotationDays: "400" }, "secretRotationDays", /365/],
    ["exchangeAuth typo", { mailboxes: MAILBOXES, exchangeAuth: "cert" }, "exchangeAuth", /certificate/],
    [
        "certificate without organization",
        {
            mailboxes: MAILBOXES,
            exchangeAuth: "certificate",
            exchangeAppId: "11111111-2222-4333-8444-555555555555",
            exchangeCertificatePath: "a.pfx",
        },
        "exchangeOrganization",
        /onmicrosoft/,
    ],
    [
        "certificate without app id",
        {
            mailboxes: MAILBOXES,
            exchangeAuth: "certificate",
            exchangeOrganization: "contoso.onmicrosoft.com",
            exchangeCertificatePath: "a.pfx",
        },
        "exchangeAppId",
        /Exchange.ManageAsApp/,
    ],
    [
        "certificate without a file",
        {
            mailboxes: MAILBOXES,
            exchangeAuth: "certificate",
            exchangeOrganization: "contoso.onmicrosoft.com",
            exchangeAppId: "11111111-2222-4333-8444-555555555555",
        },
        "exchangeCertificatePath",
        /pfx/,
    ],
    [
        "clientSecret without the secret",
        {
            mailboxes: MAILBOXES,
            exchangeAuth: "clientSecret",
            exchangeOrganization: "contoso.onmicrosoft.com",
            exchangeAppId: "11111111-2222-4333-8444-555555555555",
        },
        "exchangeClientSecret",
        /--secret/,
    ],
    [
        "organization not an initial domain",
        { mailboxes: MAILBOXES, exchangeOrganization: "contoso.com" },
        "exchangeOrganization",
        /onmicrosoft/,
    ],
    ["exchange app id not a GUID", { mailboxes: MAILBOXES, exchangeAppId: "ucx" }, "exchangeAppId", /GUID/],
    [
        "adopted app id not a GUID",
        { mailboxes: MAILBOXES, existingApplicationObjectId: "app" },
        "existingApplicationObjectId",
        /Object ID/,
    ],
    [
        "max wait out of range",
        { mailboxes: MAILBOXES, exchangeMaxWaitMinutes: "0" },
        "exchangeMaxWaitMinutes",
        /1 to 120/,
    ],
    ["display name with a backtick", { mailboxes: MAILBOXES, displayName: "Fax`n" }, "displayName", /letters/],
    [
        "service principal name with $",
        { mailboxes: MAILBOXES, exchangeServicePrincipalName: "UCX$env" },
        "exchangeServicePrincipalName",
        /letters/,
    ],
    [
        "service principal name that would pipe into a command when pasted",
        { mailboxes: MAILBOXES, exchangeServicePrincipalName: "x | ForEach-Object {Add-MailboxPermission}" },
        "exchangeServicePrincipalName",
        /\|, \{, \}/,
    ],
    ["cloud typo", { mailboxes: MAILBOXES, cloud: "gcchigh" }, "cloud", /public, usgov, dod, china/],
    [
        "GCC High cloud with a commercial organization",
        { mailboxes: MAILBOXES, cloud: "usgov", exchangeOrganization: "contoso.onmicrosoft.com" },
        "cloud",
        /pulumi config set cloud public.*contoso\.onmicrosoft\.us/,
    ],
    [
        "public cloud with a US Government organization",
        { mailboxes: MAILBOXES, exchangeOrganization: "contoso.onmicrosoft.us" },
        "cloud",
        /pulumi config set cloud usgov \(or dod\)/,
    ],
    [
        "DoD cloud with a 21Vianet organization",
        { mailboxes: MAILBOXES, cloud: "dod", exchangeOrganization: "contoso.partner.onmschina.cn" },
        "cloud",
        /pulumi config set cloud china/,
    ],
    [
        "21Vianet cloud with an organization that is no initial domain",
        { mailboxes: MAILBOXES, cloud: "china", exchangeOrganization: "mail.contoso.cn" },
        "exchangeOrganization",
        /contoso\.partner\.onmschina\.cn/,
    ],
    ["misspelt key", { mailboxes: MAILBOXES, mailbox: '["a@contoso.com"]' }, "mailbox", /did you mean mailboxes/],
    [
        "admin UPN not an address",
        {
            mailboxes: MAILBOXES,
            exchangeAuth: "accessToken",
            exchangeOrganization: "contoso.onmicrosoft.com",
            exchangeAdminUpn: "admin",
        },
        "exchangeAdminUpn",
        /admin@/,
    ],
    ["mailbox with an apostrophe", { mailboxes: JSON.stringify(["o'brien@contoso.com"]) }, "mailboxes", /apostrophe/],
    [
        "owners listed twice, differing by case",
        {
            mailboxes: MAILBOXES,
            owners: JSON.stringify(["A1B2C3D4-0000-4000-8000-00000000000A", "a1b2c3d4-0000-4000-8000-00000000000a"]),
        },
        "owners",
        /twice/,
    ],
    [
        "app id of certificate mode under managedIdentity",
        {
            mailboxes: MAILBOXES,
            exchangeAuth: "managedIdentity",
            exchangeOrganization: "contoso.onmicrosoft.com",
            exchangeAppId: "11111111-2222-4333-8444-555555555555",
        },
        "exchangeAppId",
        /only when exchangeAuth is certificate or clientSecret/,
    ],
    [
        "certificate path under clientSecret",
        {
            mailboxes: MAILBOXES,
            exchangeAuth: "clientSecret",
            exchangeOrganization: "contoso.onmicrosoft.com",
            exchangeAppId: "11111111-2222-4333-8444-555555555555",
            exchangeClientSecret: "s3cr3t-value",
            exchangeCertificatePath: "a.pfx",
        },
        "exchangeCertificatePath",
        /config rm exchangeCertificatePath/,
    ],
    [
        "admin UPN under manual",
        { mailboxes: MAILBOXES, exchangeAdminUpn: "admin@contoso.com" },
        "exchangeAdminUpn",
        /accessToken/,
    ],
    [
        "managed identity account id not a GUID",
        {
            mailboxes: MAILBOXES,
            exchangeAuth: "managedIdentity",
            exchangeOrganization: "contoso.onmicrosoft.com",
            exchangeManagedIdentityAccountId: "my-identity",
        },
        "exchangeManagedIdentityAccountId",
        /Client ID/,
    ],
    [
        "managed identity account id outside managedIdentity mode",
        { mailboxes: MAILBOXES, exchangeManagedIdentityAccountId: "11111111-2222-4333-8444-555555555555" },
        "exchangeManagedIdentityAccountId",
        /exchangeAuth managedIdentity/,
    ],
    ["mailboxProtocols typo", { mailboxes: MAILBOXES, mailboxProtocols: "on" }, "mailboxProtocols", /unchanged/],
    [
        "more mailboxes than the recorded state can hold",
        {
            mailboxes: JSON.stringify(
                Array.from(
                    { length: 200 },
                    (_, index) => `ucx-notifications-${index}-for-a-long-department-name@contoso.com`,
                ),
            ),
            exchangeAuth: "managedIdentity",
            exchangeOrganization: "contoso.onmicrosoft.com",
        },
        "mailboxes",
        /two stacks/,
    ],
    [
        "retain flag that is not true or false",
        { mailboxes: MAILBOXES, retainApplicationOnDestroy: "yes" },
        "retainApplicationOnDestroy",
        /retainApplicationOnDestroy true/,
    ],
];

/** Bad configs the Pulumi CLI refuses before the program runs (pkg/workspace/config.go), with what it prints. */
export const CLI_REFUSED_CONFIGS: ReadonlyArray<[string, Record<string, unknown>, string]> = [
    ["no mailboxes", {}, "Stack 'contoso' is missing configuration value 'mailboxes'"],
    [
        "mailboxes as one string",
        { mailboxes: "fax@contoso.com" },
        "Stack 'contoso' with configuration key 'mailboxes' must be of type 'array<string>'",
    ],
    [
        "rotation days not whole",
        { mailboxes: MAILBOXES, secretRotationDays: "30.5" },
        "Stack 'contoso' with configuration key 'secretRotationDays' must be of type 'integer'",
    ],
    [
        "max wait not whole, and mailboxes one string: the CLI names only the first in key order",
        { mailboxes: "fax@contoso.com", exchangeMaxWaitMinutes: "1.5" },
        "Stack 'contoso' with configuration key 'exchangeMaxWaitMinutes' must be of type 'integer'",
    ],
];
