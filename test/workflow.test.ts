// The ready-to-copy CI workflow: valid against the GitHub Actions workflow schema, and safe for an MSP to adopt:
// no pull request reaches a tenant with write rights, the OIDC token only where a job signs in, everything pinned,
// one apply per stack at a time, and no secret ever echoed.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { EXCHANGE_MAX_WAIT_MINUTES_RANGE } from "../components/config";

const WORKFLOW_PATH = path.resolve(__dirname, "..", ".github", "workflows", "ucx-mail.yml");
const source = readFileSync(WORKFLOW_PATH, "utf8");

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    if?: string;
    env?: Record<string, string>;
    with?: Record<string, unknown>;
}
interface Job {
    if?: string;
    needs?: string | string[];
    environment?: string;
    permissions?: Record<string, string>;
    concurrency?: { group: string; "cancel-in-progress": boolean };
    strategy?: { "fail-fast": boolean; matrix: { stack: string[] } };
    env?: Record<string, string>;
    "timeout-minutes"?: number;
    "continue-on-error"?: unknown;
    steps: Step[];
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const workflow = parse(source) as any;
const jobs = workflow.jobs as Record<string, Job>;
const { preview, apply, fleet } = jobs;

function stepRunning(job: Job, fragment: string): Step {
    const step = job.steps.find((s) => s.run?.includes(fragment));
    assert.ok(step, `no step runs ${fragment}`);
    return step;
}

/** Every `run:` line of the workflow, with the job it belongs to. */
function allRunLines(): { job: string; line: string }[] {
    return Object.entries(jobs).flatMap(([name, job]) =>
        job.steps.flatMap((step) => (step.run ?? "").split("\n").map((line) => ({ job: name, line }))),
    );
}

/** Whether a job's `if:` can be true for a pull_request event, read literally from the expression. */
function pullRequestCanStart(job: Job): boolean {
    return (
        !/github\.event_name != 'pull_request'/.test(job.if ?? "") && !/schedule|workflow_dispatch/.test(job.if ?? "")
    );
}

describe("the CI workflow", () => {
    it("is valid against the GitHub Actions workflow schema", () => {
        assert.deepEqual(validateWorkflow(source).errors, []);
    });

    it("would be caught by the validator if it were broken", () => {
        const broken = source.replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest");
        assert.notEqual(broken, source);
        assert.ok(validateWorkflow(broken).errors.length > 0);
    });

    it("runs pulumi up only in a job no pull request can start, and only from main", () => {
        const withUp = Object.entries(jobs).filter(([, job]) => job.steps.some((s) => /pulumi up\b/.test(s.run ?? "")));
        assert.deepEqual(
            withUp.map(([name]) => name),
            ["apply"],
        );
        assert.match(apply.if!, /github\.event_name != 'pull_request'/);
        assert.match(
            apply.if!,
            /github\.ref == 'refs\/heads\/main'/,
            "workflow_dispatch from another branch must not apply",
        );
        assert.equal(pullRequestCanStart(apply), false);
        for (const step of apply.steps) assert.doesNotMatch(step.if ?? "", /pull_request/);
        assert.deepEqual(workflow.on.push.branches, ["main"]);
        assert.deepEqual(workflow.on.pull_request.branches, ["main"]);
        assert.equal(workflow.on.pull_request_target, undefined, "pull_request_target would hand a PR the secrets");
    });

    it("previews pull requests in a separate <stack>-preview environment without Exchange credentials", () => {
        assert.match(preview.if!, /github\.event_name == 'pull_request'/);
        assert.equal(preview.environment, "${{ matrix.stack }}-preview");
        assert.equal(apply.environment, "${{ matrix.stack }}");
        assert.deepEqual(preview.strategy!.matrix.stack, apply.strategy!.matrix.stack);
        const run = stepRunning(preview, "pulumi preview");
        assert.match(run.run!, /--policy-pack policy/);
        const previewSource = JSON.stringify(preview);
        assert.doesNotMatch(
            previewSource,
            /UCX_MAIL_EXO_|EXO_ACCESS_TOKEN|UCX_MAIL_KEY_VAULT|--show-secrets|pulumi up/,
        );
        assert.doesNotMatch(previewSource, /azure\/login/, "the preview never signs in the Azure CLI");
    });

    it("gives forks' pull requests nothing and says so", () => {
        const sameRepository = "github.event.pull_request.head.repo.full_name == github.repository";
        assert.match(preview.if!, new RegExp(sameRepository.replace(/\./g, "\\.")));
        const notice = jobs["fork-notice"];
        assert.match(notice.if!, /head\.repo\.full_name != github\.repository/);
        assert.deepEqual(notice.permissions, {});
        assert.equal(notice.environment, undefined);
        assert.doesNotMatch(JSON.stringify(notice), /secrets\.|vars\./);
        assert.match(notice.steps.map((s) => s.run).join("\n"), /::notice::Pull requests from forks are not previewed/);
    });

    it("grants the OIDC token per job, only to the jobs that sign in", () => {
        assert.deepEqual(workflow.permissions, {});
        for (const [name, job] of Object.entries(jobs)) {
            assert.ok(job.permissions, `${name} states its permissions`);
            const signsIn = job.env?.ARM_USE_OIDC === "true";
            assert.equal(job.permissions["id-token"], signsIn ? "write" : undefined, name);
            assert.notEqual(job.permissions.contents, "write", name);
        }
        assert.equal(preview.env!.ARM_USE_OIDC, "true");
        assert.equal(apply.env!.ARM_USE_OIDC, "true");
        assert.doesNotMatch(source, /ARM_CLIENT_SECRET|AZURE_CLIENT_SECRET|client-secret:/);
    });

    it("pins every action to a full commit SHA with its tag in a comment", () => {
        const uses = source.split("\n").filter((line) => /^\s*(- )?uses:/.test(line));
        assert.ok(uses.length >= 7);
        for (const line of uses) {
            assert.match(line, /uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, line);
        }
        for (const job of Object.values(jobs)) {
            for (const step of job.steps.filter((s) => s.uses?.startsWith("actions/checkout@"))) {
                assert.equal(step.with?.["persist-credentials"], false, "no GitHub token left on disk for later steps");
            }
        }
    });

    it("pins the Pulumi CLI to a version that meets both tools' minimums, and ExchangeOnlineManagement", () => {
        for (const job of [preview, apply, fleet]) {
            const install = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
            assert.ok(install, "installs the Pulumi CLI");
            const [major, minor] = String(install.with?.["pulumi-version"]).split(".").map(Number);
            // 3.252: the fleet reads a passphrase stack without its passphrase (pulumi/pulumi#21141); 3.174: adoption.
            assert.ok(major === 3 && minor >= 252, `pulumi-version ${install.with?.["pulumi-version"]}`);
        }
        assert.match(
            stepRunning(apply, "Install-Module ExchangeOnlineManagement").run!,
            /-RequiredVersion \d+\.\d+\.\d+ /,
        );
        assert.doesNotMatch(source, /-MinimumVersion/);
    });

    it("gives the apply job more time than the longest Exchange wait the config accepts", () => {
        assert.ok(apply["timeout-minutes"]! >= EXCHANGE_MAX_WAIT_MINUTES_RANGE.max + 30);
    });

    it("serialises every apply of one stack, whatever the branch or event", () => {
        assert.equal(workflow.concurrency, undefined, "no per-branch workflow group");
        assert.equal(apply.concurrency!.group, "ucx-mail-apply-${{ matrix.stack }}");
        assert.doesNotMatch(apply.concurrency!.group, /github\.ref|head_ref|event/);
        assert.equal(apply.concurrency!["cancel-in-progress"], false);
    });

    it("gives the state backend its own credentials, in every job that reads it", () => {
        for (const job of [preview, apply, fleet]) {
            assert.equal(job.env!.PULUMI_BACKEND_URL, "${{ vars.PULUMI_BACKEND_URL }}");
            assert.equal(job.env!.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
            assert.equal(job.env!.AZURE_STORAGE_ACCOUNT, "${{ vars.AZURE_STORAGE_ACCOUNT }}");
            assert.equal(job.env!.AZURE_STORAGE_SAS_TOKEN, "${{ secrets.AZURE_STORAGE_SAS_TOKEN }}");
        }
    });

    it("runs one job per tenant stack, each in its own environment", () => {
        for (const job of [preview, apply]) {
            assert.ok(job.strategy!.matrix.stack.length >= 1);
            assert.equal(job.strategy!["fail-fast"], false);
            assert.equal(job.env!.STACK, "${{ matrix.stack }}");
            stepRunning(job, 'pulumi stack select "$STACK"');
        }
    });

    it("runs weekly: pulumi up (rotation when due), then the doctor", () => {
        const [{ cron }] = workflow.on.schedule;
        const [, , dayOfMonth, month, dayOfWeek] = cron.split(" ");
        assert.deepEqual([dayOfMonth, month], ["*", "*"]);
        assert.match(dayOfWeek, /^[0-6]$/);
        const up = apply.steps.indexOf(stepRunning(apply, "pulumi up"));
        const doctor = apply.steps.indexOf(stepRunning(apply, "npm run --silent doctor"));
        assert.ok(doctor > up, "the doctor runs after pulumi up");
        assert.match(apply.steps[doctor].if!, /schedule/);
        assert.match(stepRunning(apply, "pulumi up").run!, /--policy-pack policy/);
    });

    it("runs the doctor's --handover and --preflight weekly as a separate read-only reporting identity", () => {
        const up = apply.steps.indexOf(stepRunning(apply, "pulumi up"));
        const keyVault = apply.steps.indexOf(stepRunning(apply, "az keyvault secret set"));
        const doctorStep = stepRunning(apply, "npm run --silent doctor");
        const doctor = apply.steps.indexOf(doctorStep);
        const signIn = apply.steps.findIndex(
            (step) =>
                step.uses?.startsWith("azure/login@") &&
                step.with?.["client-id"] === "${{ vars.UCX_MAIL_REPORTING_CLIENT_ID }}",
        );
        assert.ok(signIn > up && signIn > keyVault && signIn < doctor, "signs in as the reporting identity last");
        assert.match(apply.steps[signIn].if!, /schedule[\s\S]*vars\.UCX_MAIL_REPORTING_CLIENT_ID != ''/);
        assert.equal(apply.steps[signIn].with?.["tenant-id"], "${{ vars.AZURE_TENANT_ID }}");
        assert.equal(doctorStep.env?.REPORTING_CLIENT_ID, "${{ vars.UCX_MAIL_REPORTING_CLIENT_ID }}");
        assert.match(doctorStep.run!, /graph_checks=\(--handover --preflight\)/);
        assert.equal((doctorStep as Record<string, unknown>)["continue-on-error"], undefined);
    });

    it("puts the doctor's verdicts in the job summary and fails the job on any fail, a handover fail too", () => {
        const script = stepRunning(apply, "npm run --silent doctor").run!;
        // Run the step under bash with a stand-in npm that prints a handover fail and exits 1, as the doctor does.
        const dir = mkdtempSync(path.join(tmpdir(), "ucx-workflow-"));
        try {
            writeFileSync(
                path.join(dir, "npm"),
                '#!/bin/sh\necho "$*" > "$(dirname "$0")/args"\necho "handover  FAIL  The suite still uses the previous secret"\nexit 1\n',
                { mode: 0o755 },
            );
            const run = (reportingClientId: string) => {
                let code = 0;
                try {
                    execFileSync("bash", ["-e", "-c", script], {
                        env: {
                            ...process.env,
                            PATH: `${dir}${path.delimiter}${process.env.PATH}`,
                            STACK: "contoso",
                            RUNNER_TEMP: dir,
                            GITHUB_STEP_SUMMARY: path.join(dir, "summary.md"),
                            REPORTING_CLIENT_ID: reportingClientId,
                        },
                        stdio: "pipe",
                    });
                } catch (error) {
                    code = (error as { status: number }).status;
                }
                return { code, args: readFileSync(path.join(dir, "args"), "utf8").trim() };
            };
            const withReporting = run("11111111-2222-4333-8444-555555555555");
            assert.equal(withReporting.code, 1, "a handover fail fails the job");
            assert.equal(withReporting.args, "run --silent doctor -- --stack contoso --handover --preflight");
            const summary = readFileSync(path.join(dir, "summary.md"), "utf8");
            assert.match(
                summary,
                /^### contoso: doctor\n\n```\nhandover {2}FAIL {2}The suite still uses the previous secret\n```\n$/,
            );
            // Without a reporting identity the doctor runs as before, and Graph is not called.
            assert.equal(run("").args, "run --silent doctor -- --stack contoso");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("passes Exchange credentials for each mode without putting a secret on a command line", () => {
        const clientSecret = stepRunning(apply, 'EXO_CLIENT_SECRET" | pulumi config set');
        assert.match(
            clientSecret.run!,
            /printf '%s' "\$EXO_CLIENT_SECRET" \| pulumi config set --secret exchangeClientSecret$/m,
        );
        const certificate = stepRunning(apply, "exchangeCertificatePassword");
        assert.match(certificate.run!, /\| pulumi config set --secret exchangeCertificatePassword/);
        const token = stepRunning(apply, "EXO_ACCESS_TOKEN");
        assert.match(token.run!, /::add-mask::\$token/);
        for (const { line } of allRunLines()) {
            assert.doesNotMatch(line, /pulumi config set --secret \S+ "?\$/, `secret on a command line: ${line}`);
        }
    });

    it("installs ExchangeOnlineManagement before pulumi up when the stack runs the Exchange steps", () => {
        const install = apply.steps.indexOf(stepRunning(apply, "Install-Module ExchangeOnlineManagement"));
        assert.ok(install < apply.steps.indexOf(stepRunning(apply, "pulumi up")));
        assert.match(apply.steps[install].run!, /pulumi config get exchangeAuth[\s\S]*!= "manual"/);
    });

    it("reports a rotation in the job summary without ever echoing the secret", () => {
        const report = stepRunning(apply, "client secret rotated");
        assert.match(report.run!, /client secret rotated, expires at \$expires/);
        for (const { line } of allRunLines()) {
            if (line.includes("--show-secrets") && !line.includes("`pulumi stack output clientSecret")) {
                assert.match(line, /> "\$secret_file"$/, `a revealed secret must go to a private file: ${line}`);
            }
            assert.doesNotMatch(line, /echo .*--show-secrets\)/);
        }
        assert.match(stepRunning(apply, '"$secret_file"').run!, /umask 077[\s\S]*rm -f "\$secret_file"/);
    });

    it("stores the secret's exact value in Key Vault, without the newline pulumi stack output adds", () => {
        const keyVault = stepRunning(apply, "az keyvault secret set");
        const write = keyVault.run!.split("\n").find((line) => line.includes("--show-secrets"));
        assert.equal(write, `printf '%s' "$(pulumi stack output clientSecret --show-secrets)" > "$secret_file"`);
        // Run that line under bash with a stand-in pulumi that prints as stack_output.go does: the value, then "\n".
        const dir = mkdtempSync(path.join(tmpdir(), "ucx-workflow-"));
        try {
            writeFileSync(path.join(dir, "pulumi"), "#!/bin/sh\nprintf 's3cr3t~value\\n'\n", { mode: 0o755 });
            execFileSync("bash", ["-c", write!], {
                env: {
                    ...process.env,
                    PATH: `${dir}${path.delimiter}${process.env.PATH}`,
                    secret_file: path.join(dir, "out"),
                },
            });
            assert.equal(readFileSync(path.join(dir, "out"), "utf8"), "s3cr3t~value");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
        assert.match(keyVault.run!, /--file "\$secret_file"/);
    });
});

describe("the weekly fleet job", () => {
    const reportStep = fleet.steps.find((step) => step.run?.includes("npm run --silent fleet"));

    it("runs after the apply jobs, whatever their outcome, on the weekly schedule and on demand from main", () => {
        assert.equal(fleet.needs, "apply");
        assert.match(fleet.if!, /!cancelled\(\)/);
        assert.doesNotMatch(fleet.if!, /success\(\)/);
        assert.match(fleet.if!, /github\.event_name == 'schedule'/);
        assert.match(fleet.if!, /github\.event_name == 'workflow_dispatch'/);
        assert.match(fleet.if!, /github\.ref == 'refs\/heads\/main'/);
        assert.ok(workflow.on.schedule.length >= 1);
    });

    it("writes the fleet table to the job summary and fails when any tenant fails", () => {
        assert.ok(reportStep, "no step runs the fleet report");
        const script = reportStep.run!;
        assert.match(script, /^set \+e\nnpm run --silent fleet > "\$RUNNER_TEMP\/fleet\.txt"\nstatus=\$\?\n/);
        assert.match(script, /cat "\$RUNNER_TEMP\/fleet\.txt"\n[\s\S]*\} >> "\$GITHUB_STEP_SUMMARY"/);
        assert.match(script, /\nexit "\$status"\n$/);
        assert.doesNotMatch(script, /--json/, "the summary gets the readable table");
        assert.equal(fleet["continue-on-error"], undefined);
        assert.equal((reportStep as Record<string, unknown>)["continue-on-error"], undefined);
    });

    it("holds no tenant secret and no passphrase: only a read credential for the backend", () => {
        const jobSource = JSON.stringify(fleet);
        const secretsUsed = [...jobSource.matchAll(/secrets\.(\w+)/g)].map((match) => match[1]).sort();
        assert.deepEqual(secretsUsed, ["AZURE_STORAGE_SAS_TOKEN", "PULUMI_ACCESS_TOKEN"]);
        assert.doesNotMatch(jobSource, /--show-secrets|PULUMI_CONFIG_PASSPHRASE|ARM_|id-token/);
        assert.equal(fleet.environment, "ucx-mail-fleet", "its own environment, no tenant's");
    });
});
