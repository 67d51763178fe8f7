import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { describe, it } from "node:test";
import { diagnosisEnvironment, findPwsh, runExchangeDiagnosis } from "../../tools/doctor/exchangeSession";

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

    it("passes PSModulePath and the Exchange secrets through unchanged and puts every input in the steps' variables", () => {
        const base = {
            PATH: "/bin",
            PSModulePath: "/fake/first:/usr/share/modules",
            UCX_EXCHANGE_CERTIFICATE_PASSWORD: "pfx-password-value",
            UCX_EXCHANGE_ADMIN_UPN: "stale@contoso.com",
            UCX_EXCHANGE_LOCAL_CERTIFICATE_PATH: "/elsewhere/b.pfx",
        };
        const env = diagnosisEnvironment(REQUEST, base);
        assert.equal(env.PSModulePath, base.PSModulePath);
        assert.equal(env.UCX_EXCHANGE_CERTIFICATE_PASSWORD, "pfx-password-value");
        assert.equal(env.UCX_EXCHANGE_AUTH, "certificate");
        assert.equal(env.UCX_EXCHANGE_CLOUD, "dod");
        assert.equal(env.UCX_EXCHANGE_ORGANIZATION, REQUEST.exchange.organization);
        assert.equal(env.UCX_EXCHANGE_AUTOMATION_APP_ID, REQUEST.exchange.appId);
        assert.equal(env.UCX_EXCHANGE_CERTIFICATE_PATH, REQUEST.exchange.certificatePath);
        assert.equal(env.UCX_EXCHANGE_APP_ID, REQUEST.appId);
        assert.deepEqual(JSON.parse(env.UCX_EXCHANGE_MAILBOXES ?? ""), REQUEST.mailboxes);
        assert.equal(env.UCX_EXCHANGE_ADMIN_UPN, undefined, "a value this run does not set is removed");
        assert.equal(
            env.UCX_EXCHANGE_LOCAL_CERTIFICATE_PATH,
            undefined,
            "the path was already chosen; the reader must not override it",
        );
        assert.equal(
            Object.keys(env).filter((name) => name.startsWith("UCX_DOCTOR_")).length,
            0,
            "no variables of the old doctor-only reader",
        );
    });
});

/** Whether a process runs: a killed one may stay a zombie until something reaps it, which is not running. */
function isRunning(pid: number): boolean {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT" || existsSync("/proc/self/stat")) return false;
    }
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

describe("the Exchange timeout", () => {
    // `dotnet tool run pwsh` starts pwsh as a grandchild: a shell that starts one stands in for it.
    it("ends the whole process tree, grandchildren included", { skip: process.platform === "win32" }, async () => {
        const directory = mkdtempSync(join(tmpdir(), "ucx-doctor-tree-"));
        try {
            const pidFile = join(directory, "grandchild.pid");
            const launcher = {
                file: "/bin/sh",
                prefix: ["-c", `sleep 20 & echo $! > '${pidFile}'; wait`, "fake-dotnet"],
                description: "a launcher that starts a grandchild",
            };
            const started = Date.now();
            const result = await runExchangeDiagnosis(
                { ...REQUEST, exchange: { ...REQUEST.exchange, timeoutMs: 1_000 } },
                process.env,
                launcher,
            );
            assert.ok(Date.now() - started < 8_000, "the doctor waited for the grandchild");
            assert.deepEqual(result.ok ? "ok" : result.failure.stage, "timeout");
            const grandchild = Number(readFileSync(pidFile, "utf8"));
            assert.equal(isRunning(grandchild), false, "the grandchild still runs");
        } finally {
            rmSync(directory, { recursive: true, force: true });
        }
    });
});
