import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { describe, it } from "node:test";
import { diagnosisEnvironment, findPwsh } from "../../tools/doctor/exchangeSession";

const REQUEST = {
    exchange: {
        mode: "certificate" as const,
        organization: "contoso.onmicrosoft.com",
        appId: "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b",
        certificatePath: "/certs/a.pfx",
        servicePrincipalName: "UCXSuiteMail",
        timeoutMs: 90_000,
    },
    cloud: "dod" as const,
    appId: "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b",
    mailboxes: ["fax@contoso.com", "scan@contoso.com"],
};

describe("finding pwsh and handing it the run", () => {
    it("takes pwsh from PATH, else the project's local tool", () => {
        const dir = mkdtempSync(join(tmpdir(), "ucx-pwsh-"));
        try {
            writeFileSync(join(dir, "pwsh"), "#!/bin/sh\nexit 0\n");
            chmodSync(join(dir, "pwsh"), 0o755);
            const onPath = findPwsh({ PATH: `/nonexistent${delimiter}${dir}` });
            assert.equal(onPath.file, join(dir, "pwsh"));
            assert.deepEqual(onPath.prefix, []);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
        const local = findPwsh({ PATH: "/nonexistent" });
        assert.deepEqual([local.file, ...local.prefix], ["dotnet", "tool", "run", "pwsh"]);
    });

    it("passes PSModulePath and the Exchange secrets through unchanged and puts every input in the environment", () => {
        const base = {
            PATH: "/bin",
            PSModulePath: "/fake/first:/usr/share/modules",
            UCX_EXCHANGE_CERTIFICATE_PASSWORD: "pfx-password-value",
            UCX_DOCTOR_EXCHANGE_ADMIN_UPN: "stale@contoso.com",
        };
        const env = diagnosisEnvironment(REQUEST, base);
        assert.equal(env.PSModulePath, base.PSModulePath);
        assert.equal(env.UCX_EXCHANGE_CERTIFICATE_PASSWORD, "pfx-password-value");
        assert.equal(env.UCX_DOCTOR_EXCHANGE_AUTH, "certificate");
        assert.equal(env.UCX_EXCHANGE_CLOUD, "dod");
        assert.equal(env.UCX_DOCTOR_EXCHANGE_AUTOMATION_APP_ID, REQUEST.exchange.appId);
        assert.equal(env.UCX_DOCTOR_APP_ID, REQUEST.appId);
        assert.deepEqual(JSON.parse(env.UCX_DOCTOR_MAILBOXES ?? ""), REQUEST.mailboxes);
        assert.equal(env.UCX_DOCTOR_EXCHANGE_ADMIN_UPN, undefined, "a value this run does not set is removed");
    });
});
