// What the mocks answer for tenant-wide lookups: a realistic Office 365 Exchange Online service principal and the
// deploying identity's client config. Test-only.

import { createHash } from "node:crypto";

export const FAKE_TENANT_ID = "6f1c7d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f";
export const FAKE_EXCHANGE_SP_OBJECT_ID = "0b7d1c2e-9f8a-4b3c-a2d1-e0f9a8b7c6d5";

/** The application roles that Office 365 Exchange Online publishes in every tenant (a realistic subset). */
export const EXCHANGE_ONLINE_APP_ROLE_IDS: Readonly<Record<string, string>> = {
    "IMAP.AccessAsApp": "5e5addcd-3e8d-4e90-baf5-964efab2b20a",
    "SMTP.SendAsApp": "7146a1f0-8703-45b3-9eae-527a64c00995",
    "POP.AccessAsApp": "cb842b43-da6e-4506-86fe-bb12199c656d",
    full_access_as_app: "dc890d15-9560-4a4c-9b7f-a736ec74ec40",
    "Exchange.ManageAsApp": "dc50a0fb-09a3-484d-be87-e023b12c6440",
    "Mail.Send": "b633e1c5-b582-4048-a93e-9f11b44c7e96",
};

/** A stable GUID derived from a name, so that mock ids are the same on every run. */
export function guidFrom(name: string): string {
    const hex = createHash("sha256").update(name).digest("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
