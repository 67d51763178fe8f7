import { CheckResult } from "./checkResult";
import { DoctorOptions } from "./cliArgs";
import { withDeadline } from "./deadline";
import { diagnoseSendReply } from "./fixCatalogue";
import { createExchangeSmtpTransport, diagnoseSmtpError, SmtpProgress } from "./smtpCheck";
import { fixContextOf } from "./tokenCheck";

/** Check 5 (optional): send one test message from the mailbox to --send-test-to, as the suite would. */
export async function runSendCheck(
    options: DoctorOptions,
    accessToken: string | undefined,
    smtpResult: CheckResult,
): Promise<CheckResult> {
    if (options.sendTestTo === undefined) {
        return { id: "send", status: "skip", message: "No --send-test-to given; no test message sent.", fix: null };
    }
    if (accessToken === undefined || smtpResult.status !== "pass") {
        return { id: "send", status: "skip", message: "The SMTP login did not pass; fix that first.", fix: null };
    }
    const progress: SmtpProgress = { reached: undefined };
    const transport = createExchangeSmtpTransport(options, accessToken, progress);
    const sentAt = new Date().toISOString();
    try {
        const info = await withDeadline(
            transport.sendMail({
                from: options.mailbox,
                to: options.sendTestTo,
                subject: `ucx-mail doctor test message (${sentAt})`,
                text: `This message was sent by the ucx-mail doctor from ${options.mailbox} at ${sentAt} to prove that SMTP sending works.`,
            }),
            options.timeoutMs,
            "send",
            () => transport.close(),
        );
        const accepted = (info.accepted ?? []).map(String);
        if (!accepted.includes(options.sendTestTo)) {
            return {
                id: "send",
                status: "fail",
                message: `The server did not accept ${options.sendTestTo} as a recipient.`,
                fix: "Check the --send-test-to address.",
            };
        }
        return {
            id: "send",
            status: "pass",
            message: `Test message sent from ${options.mailbox} to ${options.sendTestTo}.`,
            fix: null,
        };
    } catch (error) {
        const reply = (error as { response?: unknown }).response;
        const diagnosis =
            typeof reply === "string" && /^\d{3}[ -]/.test(reply)
                ? diagnoseSendReply(reply, options.sendTestTo, fixContextOf(options))
                : diagnoseSmtpError(error, options, "send", progress.reached);
        return { id: "send", status: "fail", message: diagnosis.message, fix: diagnosis.fix };
    } finally {
        transport.close();
    }
}
