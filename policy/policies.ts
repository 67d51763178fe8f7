// The ucx-mail policies, importable without starting a policy pack (only `new PolicyPack` in index.ts does).
import { Policies } from "@pulumi/policy";
import { applicationHasOwners } from "./applicationHasOwners";
import { clientSecretMaxLifetime } from "./clientSecretMaxLifetime";
import { exchangeLeastPrivilege } from "./exchangeLeastPrivilege";
import { organizationSmtpAuth } from "./organizationSmtpAuth";
import { singleTenantApplication } from "./singleTenantApplication";

export const policies: Policies = [
    exchangeLeastPrivilege,
    singleTenantApplication,
    clientSecretMaxLifetime,
    applicationHasOwners,
    organizationSmtpAuth,
];
