// The ready-to-copy CI workflow: valid against the GitHub Actions workflow schema, and doing what the runbook
// promises (a job per tenant, OIDC, the policy pack, weekly rotation and doctor, no secret ever echoed).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";

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
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const workflow = parse(source) as any;
const job = workflow.jobs.tenant;
const steps: Step[] = job.steps;

function stepRunning(fragment: string): Step {
    const step = steps.find((s) => s.run?.includes(fragment));
    assert.ok(step, `no step runs ${fragment}`);
    return step;
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

    it("runs one job per tenant stack, each in its own environment", () => {
        assert.ok(Array.isArray(job.strategy.matrix.stack) && job.strategy.matrix.stack.length >= 1);
        assert.equal(job.strategy["fail-fast"], false);
        assert.equal(job.environment, "${{ matrix.stack }}");
        assert.equal(job.env.STACK, "${{ matrix.stack }}");
        stepRunning('pulumi stack select "$STACK"');
    });

    it("signs in to Entra with OIDC and stores no Azure secret", () => {
        assert.equal(workflow.permissions["id-token"], "write");
        assert.equal(job.env.ARM_USE_OIDC, "true");
        assert.doesNotMatch(source, /ARM_CLIENT_SECRET|AZURE_CLIENT_SECRET|client-secret:/);
    });

    it("previews with the policy pack on pull requests and applies with it elsewhere", () => {
        const preview = stepRunning("pulumi preview");
        assert.match(preview.run!, /--policy-pack policy/);
        assert.equal(preview.if, "github.event_name == 'pull_request'");
        const up = stepRunning("pulumi up");
        assert.match(up.run!, /--policy-pack policy/);
        assert.match(up.run!, /--yes/);
        assert.equal(up.if, "github.event_name != 'pull_request'");
        assert.deepEqual(workflow.on.push.branches, ["main"]);
        assert.deepEqual(workflow.on.pull_request.branches, ["main"]);
    });

    it("runs weekly: pulumi up (rotation when due), then the doctor", () => {
        const [{ cron }] = workflow.on.schedule;
        const [, , dayOfMonth, month, dayOfWeek] = cron.split(" ");
        assert.deepEqual([dayOfMonth, month], ["*", "*"]);
        assert.match(dayOfWeek, /^[0-6]$/);
        const up = steps.indexOf(stepRunning("pulumi up"));
        const doctor = steps.indexOf(stepRunning("npm run --silent doctor"));
        assert.ok(doctor > up, "the doctor runs after pulumi up");
        assert.match(steps[doctor].if!, /schedule/);
    });

    it("passes Exchange credentials for each mode without putting a secret on a command line", () => {
        const clientSecret = stepRunning("exchangeClientSecret");
        assert.match(
            clientSecret.run!,
            /printf '%s' "\$EXO_CLIENT_SECRET" \| pulumi config set --secret exchangeClientSecret$/m,
        );
        const certificate = stepRunning("exchangeCertificatePassword");
        assert.match(certificate.run!, /\| pulumi config set --secret exchangeCertificatePassword/);
        const token = stepRunning("EXO_ACCESS_TOKEN");
        assert.match(token.run!, /::add-mask::\$token/);
        for (const step of steps) {
            for (const line of (step.run ?? "").split("\n")) {
                assert.doesNotMatch(line, /pulumi config set --secret \S+ "?\$/, `secret on a command line: ${line}`);
            }
        }
    });

    it("installs ExchangeOnlineManagement before pulumi up when the stack runs the Exchange steps", () => {
        const install = steps.indexOf(stepRunning("Install-Module ExchangeOnlineManagement"));
        assert.ok(install < steps.indexOf(stepRunning("pulumi up")));
        assert.match(steps[install].run!, /pulumi config get exchangeAuth[\s\S]*!= "manual"/);
    });

    it("reports a rotation in the job summary without ever echoing the secret", () => {
        const report = stepRunning("GITHUB_STEP_SUMMARY");
        assert.match(report.run!, /client secret rotated, expires at \$expires/);
        for (const step of steps) {
            for (const line of (step.run ?? "").split("\n")) {
                if (line.includes("--show-secrets") && !line.includes("`pulumi stack output clientSecret")) {
                    assert.match(line, /> "\$secret_file"$/, `a revealed secret must go to a private file: ${line}`);
                }
                assert.doesNotMatch(line, /echo .*clientSecret --show-secrets\)/);
            }
        }
        assert.match(stepRunning('"$secret_file"').run!, /umask 077[\s\S]*rm -f "\$secret_file"/);
    });
});

describe("the weekly fleet job", () => {
    const fleet = workflow.jobs.fleet;
    const fleetSteps: Step[] = fleet.steps;
    const reportStep = fleetSteps.find((step) => step.run?.includes("npm run --silent fleet"));

    it("runs after the tenant jobs, whatever their outcome, on the weekly schedule and on demand", () => {
        assert.equal(fleet.needs, "tenant");
        assert.match(fleet.if, /!cancelled\(\)/);
        assert.doesNotMatch(fleet.if, /success\(\)/);
        assert.match(fleet.if, /github\.event_name == 'schedule'/);
        assert.match(fleet.if, /github\.event_name == 'workflow_dispatch'/);
        assert.ok(workflow.on.schedule.length >= 1);
    });

    it("reads the same backend as the tenant jobs", () => {
        assert.equal(fleet.env.PULUMI_BACKEND_URL, job.env.PULUMI_BACKEND_URL);
        assert.ok(fleetSteps.some((step) => step.uses?.startsWith("pulumi/actions@")));
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

    it("holds no secret and asks for none", () => {
        const jobSource = JSON.stringify(fleet);
        assert.doesNotMatch(jobSource, /secrets\./);
        assert.doesNotMatch(jobSource, /--show-secrets/);
        assert.doesNotMatch(jobSource, /PULUMI_CONFIG_PASSPHRASE/);
        assert.equal(fleet.environment, undefined, "no tenant environment, so no tenant secret");
    });
});
