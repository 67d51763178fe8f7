# Fault injection: every write of a first apply and of an update that adds mailboxes fails once in turn, before it
# applies. The engine keeps what pulumi-command 1.2.1 keeps (local/commandController.go: run() returns before it sets
# Stdout, and pulumi-go-provider's infer layer returns no partial state): nothing after a failed create, the old inputs
# and stdout after a failed update. Then a plain re-run must converge and destroy must restore the pre-state exactly.
# The runs are in this process (the entry function, not a new pwsh), so the whole sweep stays fast.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'fake/FakeExchangeTenant.psm1') -Force
    $script:AppId = '0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11'
    $script:ObjectId = '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'
    $script:SavedModulePath = $env:PSModulePath
    # Import-Module ExchangeOnlineManagement inside the entry function finds the fake first.
    $env:PSModulePath = (Join-Path $PSScriptRoot 'fake') + [IO.Path]::PathSeparator + $env:PSModulePath
    Import-Module (Join-Path $PSScriptRoot '../../components/exchange/UcxMailExchange.psd1') -Force

    function New-SweepTenant {
        param([hashtable] $Options = @{})
        # One mailbox inherits SMTP AUTH, one disables it itself, IMAP is off on two; SMTP AUTH is on organization-wide.
        $path = Join-Path $TestDrive ('tenant-{0}.json' -f [guid]::NewGuid())
        New-FakeExchangeTenant -Path $path -Expected @{ managedIdentity = $true } -OrganizationSmtpDisabled $false -Mailboxes @{
            'inherit@contoso.com' = $null; 'disabled@contoso.com' = $true; 'imapoff@contoso.com' = $false
            'added@contoso.com' = $null; 'added2@contoso.com' = $true
        } -CasSettings @{ 'imapoff@contoso.com' = @{ imapEnabled = $false }; 'added@contoso.com' = @{ imapEnabled = $false } } @Options
    }

    function Get-TenantView([string] $Path) {
        # What ucx-mail may touch, normalised: Get-CASMailbox shows IMAP and POP as $true unless a value was set.
        $tenant = Get-FakeExchangeTenant -Path $Path
        $mailboxes = [ordered]@{}
        foreach ($address in @($tenant.mailboxes.Keys | Sort-Object)) {
            $mailbox = $tenant.mailboxes[$address]
            $mailboxes[$address] = [ordered]@{
                smtp = $(if ($null -eq $mailbox.smtpClientAuthenticationDisabled) { 'inherit' } else { [string]$mailbox.smtpClientAuthenticationDisabled })
                imap = $(if ($mailbox.Contains('imapEnabled')) { [bool]$mailbox.imapEnabled } else { $true })
                pop = $(if ($mailbox.Contains('popEnabled')) { [bool]$mailbox.popEnabled } else { $true })
                grants = @($mailbox.permissions | ForEach-Object { "$($_.User):$(@($_.AccessRights) -join ',')" } | Sort-Object)
            }
        }
        ConvertTo-Json -Depth 8 -InputObject ([ordered]@{
                principals = @($tenant.servicePrincipals | ForEach-Object { "$($_.AppId)/$($_.ObjectId)/$($_.DisplayName)" } | Sort-Object)
                organization = $tenant.transportConfig.smtpClientAuthenticationDisabled
                mailboxes = $mailboxes
            })
    }

    function New-SweepEnvironment([string[]] $Mailboxes, [string] $TenantPath) {
        @{
            UCX_EXCHANGE_AUTH = 'managedIdentity'; UCX_EXCHANGE_ORGANIZATION = 'contoso.onmicrosoft.com'
            UCX_EXCHANGE_APP_ID = $script:AppId; UCX_EXCHANGE_SP_OBJECT_ID = $script:ObjectId
            UCX_EXCHANGE_SP_DISPLAY_NAME = 'UCXSuiteMail'; UCX_EXCHANGE_MAILBOXES = (ConvertTo-Json -InputObject @($Mailboxes) -Compress)
            UCX_EXCHANGE_SMTP_AUTH = 'mailbox'; UCX_EXCHANGE_MAX_WAIT_MINUTES = '1'; UCX_EXCHANGE_MAILBOX_PROTOCOLS = 'enable'
            UCX_EXCHANGE_TEST_TIME_SCALE = '0.0005'; UCX_FAKE_EXO_STATE = $TenantPath
        }
    }

    function Invoke-EntryInProcess([string] $Operation, [hashtable] $Environment, [string] $PreviousStdout) {
        # The command provider's process: the resource's environment, PULUMI_COMMAND_STDOUT when there is one.
        $names = @($Environment.Keys) + @('PULUMI_COMMAND_STDOUT')
        foreach ($name in $Environment.Keys) { Set-Item -LiteralPath "env:$name" -Value $Environment[$name] }
        if ($PreviousStdout) { $env:PULUMI_COMMAND_STDOUT = $PreviousStdout }
        $out = [IO.StringWriter]::new(); $err = [IO.StringWriter]::new()
        $savedOut = [Console]::Out; $savedErr = [Console]::Error
        [Console]::SetOut($out); [Console]::SetError($err)
        try { $code = Invoke-UcxMailExchange -Operation $Operation }
        finally {
            [Console]::SetOut($savedOut); [Console]::SetError($savedErr)
            foreach ($name in $names) { Remove-Item -LiteralPath "env:$name" -ErrorAction SilentlyContinue }
        }
        [pscustomobject]@{ Code = $code; Stdout = $out.ToString().Trim(); Stderr = $err.ToString() }
    }

    function Invoke-Up([hashtable] $State, [hashtable] $Environment) {
        # One `pulumi up`: the record command (create, or update when its inputs changed), then the steps, which see its
        # stdout as UCX_EXCHANGE_ORIGINAL. A failed create keeps nothing; a failed update keeps the old inputs and stdout.
        $recordInputs = ConvertTo-Json -InputObject $Environment -Compress
        if ($null -eq $State.record -or $State.record.inputs -ne $recordInputs) {
            $previous = $(if ($State.record) { $State.record.stdout } else { $null })
            $run = Invoke-EntryInProcess -Operation 'record' -Environment $Environment -PreviousStdout $previous
            if ($run.Code -ne 0) { return $run }
            $State.record = @{ inputs = $recordInputs; stdout = $run.Stdout }
        }
        $steps = $Environment.Clone()
        $steps['UCX_EXCHANGE_ORIGINAL'] = $State.record.stdout
        $stepsInputs = ConvertTo-Json -InputObject $steps -Compress
        if ($null -ne $State.steps -and $State.steps.inputs -eq $stepsInputs) { return [pscustomobject]@{ Code = 0; Stdout = $State.steps.stdout; Stderr = '' } }
        $previous = $(if ($State.steps) { $State.steps.stdout } else { $null })
        $run = Invoke-EntryInProcess -Operation 'apply' -Environment $steps -PreviousStdout $previous
        if ($run.Code -eq 0) { $State.steps = @{ inputs = $stepsInputs; stdout = $run.Stdout; environment = $steps } }
        $run
    }

    function Invoke-Destroy([hashtable] $State) {
        # Delete runs with the environment and stdout of the last successful apply; the record command has no delete.
        if ($null -eq $State.steps) { return [pscustomobject]@{ Code = 0; Stdout = ''; Stderr = '' } }
        Invoke-EntryInProcess -Operation 'remove' -Environment $State.steps.environment -PreviousStdout $State.steps.stdout
    }

    function Get-WriteCount([string] $Path) { @((Get-FakeExchangeTenant -Path $Path).writes).Count }

    function Set-FailWriteAt([string] $Path, [int] $At) {
        $tenant = Get-FakeExchangeTenant -Path $Path
        $tenant.config.failWriteAt = $At
        $tenant.writeAttempts = 0
        Set-Content -LiteralPath $Path -Value ($tenant | ConvertTo-Json -Depth 20) -Encoding utf8
    }

    function Assert-Converged([string] $Path, [string[]] $Mailboxes) {
        $tenant = Get-FakeExchangeTenant -Path $Path
        @($tenant.servicePrincipals | Where-Object { $_.AppId -eq $script:AppId }).Count | Should -Be 1
        foreach ($address in $Mailboxes) {
            $mailbox = $tenant.mailboxes[$address]
            @($mailbox.permissions | Where-Object { $_.User -eq $script:ObjectId }).Count | Should -Be 1 -Because "$address has FullAccess"
            $mailbox.smtpClientAuthenticationDisabled | Should -BeFalse -Because "$address allows SMTP AUTH"
            $mailbox.smtpClientAuthenticationDisabled | Should -Not -BeNullOrEmpty
            if ($mailbox.Contains('imapEnabled')) { $mailbox.imapEnabled | Should -BeTrue -Because "$address allows IMAP" }
        }
    }

    function Invoke-Sweep {
        # Returns one line per injected fault that broke convergence or restoration, so a failure names the write.
        param([string[]] $Before, [string[]] $After, [hashtable] $TenantOptions = @{})
        $clean = New-SweepTenant -Options $TenantOptions
        $state = @{ record = $null; steps = $null }
        if ($Before) { (Invoke-Up -State $state -Environment (New-SweepEnvironment $Before $clean)).Code | Should -Be 0 }
        $start = Get-WriteCount $clean
        (Invoke-Up -State $state -Environment (New-SweepEnvironment $After $clean)).Code | Should -Be 0
        $writes = (Get-WriteCount $clean) - $start
        $writes | Should -BeGreaterThan 2
        $problems = New-Object System.Collections.Generic.List[string]
        foreach ($at in 1..$writes) {
            $path = New-SweepTenant -Options $TenantOptions
            $preState = Get-TenantView $path
            $state = @{ record = $null; steps = $null }
            if ($Before) { (Invoke-Up -State $state -Environment (New-SweepEnvironment $Before $path)).Code | Should -Be 0 }
            Set-FailWriteAt -Path $path -At $at
            $failed = Invoke-Up -State $state -Environment (New-SweepEnvironment $After $path)
            $fault = @((Get-FakeExchangeTenant -Path $path).faults)
            if ($failed.Code -ne 1 -or $fault.Count -ne 1) { $problems.Add("write $at ($fault): the run did not stop with exit 1 (exit $($failed.Code))"); continue }
            $writesBefore = Get-WriteCount $path
            $rerun = Invoke-Up -State $state -Environment (New-SweepEnvironment $After $path)
            if ($rerun.Code -ne 0) { $problems.Add("write $at ($fault): the re-run failed: $($rerun.Stderr)"); continue }
            # The report counts exactly the writes the re-run made.
            $reported = 0
            foreach ($count in (ConvertFrom-Json -InputObject $rerun.Stdout -AsHashtable).changed.Values) { $reported += [int]$count }
            if ($reported -ne (Get-WriteCount $path) - $writesBefore) { $problems.Add("write $at ($fault): reported $reported changes for $((Get-WriteCount $path) - $writesBefore) writes") }
            try { Assert-Converged -Path $path -Mailboxes $After } catch { $problems.Add("write $at ($fault): not converged: $($_.Exception.Message)"); continue }
            $destroyed = Invoke-Destroy -State $state
            if ($destroyed.Code -ne 0) { $problems.Add("write $at ($fault): destroy failed: $($destroyed.Stderr)"); continue }
            $postState = Get-TenantView $path
            if ($postState -ne $preState) { $problems.Add("write $at ($fault): destroy left $postState instead of $preState") }
        }
        , @($problems)
    }
}

AfterAll {
    $env:PSModulePath = $script:SavedModulePath
    Remove-Module UcxMailExchange, ExchangeOnlineManagement -ErrorAction SilentlyContinue
}

Describe 'A write that fails once, then a plain re-run, then destroy' {
    It 'restores the tenant exactly after any failed write of a first apply' {
        Invoke-Sweep -After @('inherit@contoso.com', 'disabled@contoso.com', 'imapoff@contoso.com') | Should -BeNullOrEmpty
    }

    It 'restores the tenant exactly after any failed write of an update that adds mailboxes' {
        Invoke-Sweep -Before @('inherit@contoso.com') -After @('inherit@contoso.com', 'added@contoso.com', 'added2@contoso.com') | Should -BeNullOrEmpty
    }

    It 'never removes a grant or a principal that existed before ucx-mail, whatever write fails' {
        # The admin made the principal by hand (another name) and gave it FullAccess on one mailbox.
        $options = @{
            ServicePrincipals = @(@{ AppId = $script:AppId; ObjectId = $script:ObjectId; DisplayName = 'Made by hand' })
            Permissions = @{ 'disabled@contoso.com' = @($script:ObjectId) }
        }
        Invoke-Sweep -After @('disabled@contoso.com', 'imapoff@contoso.com') -TenantOptions $options | Should -BeNullOrEmpty
    }
}
