import { createTestCertificateAuthority, TestCertificateAuthority } from "./testCertificateAuthority";
import { DovecotImapServer, findDovecot, startDovecotImapServer } from "./dovecotImapServer";
import { EntraTokenServer, startEntraTokenServer } from "./entraTokenServer";
import { ExchangeImapServer, startExchangeImapServer } from "./exchangeImapServer";
import { ExchangeSmtpServer, startExchangeSmtpServer } from "./exchangeSmtpServer";
import { FakeTenant, healthyScenario, TenantScenario } from "./fakeTenant";
import { SilentServer, startSilentServer } from "./silentServer";

/** Every loopback server a doctor run talks to, sharing one tenant whose scenario each test sets. */
export interface DoctorWorld {
    readonly mailbox: string;
    readonly tenant: FakeTenant;
    readonly ca: TestCertificateAuthority;
    readonly entra: EntraTokenServer;
    readonly smtp: ExchangeSmtpServer;
    /** Dovecot, when it could start; otherwise imapUnavailable says why. */
    readonly imap?: DovecotImapServer;
    readonly imapUnavailable?: string;
    /** Exchange's own IMAP behaviour where Dovecot differs: login accepted, mailbox not connected. */
    readonly exchangeImap: ExchangeImapServer;
    readonly silent: SilentServer;
    /** Puts the healthy scenario back, then applies the patch. */
    setScenario(patch?: Partial<TenantScenario>): void;
    /** Doctor flags pointing at this world; later entries override. */
    doctorArgs(overrides?: {
        tenant?: string;
        clientId?: string;
        smtpPort?: number;
        imapPort?: number;
        timeoutMs?: number;
        /** false leaves out --tenant, --client-id and --mailbox, for runs that take them from --stack. */
        identity?: boolean;
    }): string[];
    /** Environment for the doctor child: the test CA trusted, the secret in UCX_MAIL_CLIENT_SECRET. */
    doctorEnv(overrides?: { secret?: string; path?: string }): NodeJS.ProcessEnv;
    stop(): Promise<void>;
}

/** Starts the CA, the Entra token server, the Exchange SMTP fake, Dovecot and a silent port. */
export async function startDoctorWorld(
    options: {
        /** How late the Exchange stand-ins refuse a login (EXCHANGE_REFUSAL_DELAY_MS is the real one); 0 by default. */
        refusalDelayMs?: number;
        /** Dovecot's auth_failure_delay in seconds; 0 by default. */
        dovecotAuthFailureDelaySeconds?: number;
    } = {},
): Promise<DoctorWorld> {
    const mailbox = "fax-notifications@contoso.example";
    const baseline = healthyScenario(mailbox);
    const tenant = new FakeTenant({ ...baseline });
    const ca = createTestCertificateAuthority();
    const tls = { cert: ca.serverCert, key: ca.serverKey };
    const started: { close(): Promise<void> }[] = [];
    try {
        const entra = await startEntraTokenServer(tenant, tls);
        started.push(entra);
        const smtp = await startExchangeSmtpServer(tenant, tls, { refusalDelayMs: options.refusalDelayMs });
        started.push(smtp);
        const silent = await startSilentServer();
        started.push(silent);
        const exchangeImap = await startExchangeImapServer(tenant, tls, { refusalDelayMs: options.refusalDelayMs });
        started.push(exchangeImap);
        let imap: DovecotImapServer | undefined;
        let imapUnavailable: string | undefined;
        if (!findDovecot()) {
            imapUnavailable = "the dovecot binary is not installed (scripts/setup.sh installs dovecot-imapd)";
        } else {
            imap = await startDovecotImapServer(
                tenant,
                { certPath: ca.serverCertPath, keyPath: ca.serverKeyPath, caCert: ca.caCert },
                { authFailureDelaySeconds: options.dovecotAuthFailureDelaySeconds },
            );
            started.push(imap);
        }
        return {
            mailbox,
            tenant,
            ca,
            entra,
            smtp,
            imap,
            imapUnavailable,
            exchangeImap,
            silent,
            setScenario(patch = {}) {
                tenant.scenario = {
                    ...baseline,
                    consentedRoles: [...baseline.consentedRoles],
                    fullAccessMailboxes: [...baseline.fullAccessMailboxes],
                    ...patch,
                };
            },
            doctorArgs(overrides = {}) {
                const identity =
                    overrides.identity === false
                        ? []
                        : [
                              "--tenant",
                              overrides.tenant ?? baseline.tenantId,
                              "--client-id",
                              overrides.clientId ?? baseline.clientId,
                              "--mailbox",
                              mailbox,
                          ];
                return [
                    ...identity,
                    "--authority-host",
                    entra.origin,
                    "--smtp-host",
                    "127.0.0.1",
                    "--smtp-port",
                    String(overrides.smtpPort ?? smtp.port),
                    "--imap-host",
                    "127.0.0.1",
                    // With no Dovecot, the silent port stands in, and IMAP assertions are skipped loudly.
                    "--imap-port",
                    String(overrides.imapPort ?? imap?.port ?? silent.port),
                    "--timeout-ms",
                    String(overrides.timeoutMs ?? 8000),
                    "--json",
                ];
            },
            doctorEnv(overrides = {}) {
                const env: NodeJS.ProcessEnv = { ...process.env };
                delete env.UCX_MAIL_CLIENT_SECRET;
                env.NODE_EXTRA_CA_CERTS = ca.caCertPath;
                env.NO_COLOR = "1";
                if (overrides.secret !== "") env.UCX_MAIL_CLIENT_SECRET = overrides.secret ?? baseline.clientSecret;
                if (overrides.path !== undefined) env.PATH = overrides.path;
                return env;
            },
            async stop() {
                for (const server of started.reverse()) await server.close().catch(() => undefined);
                ca.cleanup();
            },
        };
    } catch (error) {
        for (const server of started.reverse()) await server.close().catch(() => undefined);
        ca.cleanup();
        throw error;
    }
}
