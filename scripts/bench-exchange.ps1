<#
.SYNOPSIS
    Benchmarks the Exchange steps against the fake tenant: 1, 10, 50 and 200 mailboxes, first run and re-run.
.DESCRIPTION
    Runs components/exchange/Invoke-UcxMailExchange.ps1 in its own pwsh process, as the command resource does, and
    prints the cmdlets loaded at connect (-CommandName) and, per run, the Connect-ExchangeOnline calls, the writes, the
    reads (and reads per mailbox), the length of the recorded JSON line and the wall time.
    Targets: 1 connect for any number of mailboxes, 0 writes on a re-run, reads that grow at most linearly, and a JSON
    line that fits one Windows environment variable. Exits 1 if a target is missed.
#>
[CmdletBinding()]
param([int[]] $MailboxCounts = @(1, 10, 50, 200))
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Import-Module (Join-Path $PSScriptRoot '../test/exchange/fake/FakeExchangeTenant.psm1') -Force
$work = Join-Path ([IO.Path]::GetTempPath()) ("ucx-bench-" + [guid]::NewGuid())
New-Item -ItemType Directory -Path $work | Out-Null
$missed = 0
# PULUMI_COMMAND_STDOUT must fit Windows' 32,767 characters per variable, its name and '=' included.
$stateLimit = 32767 - 'PULUMI_COMMAND_STDOUT='.Length
$loaded = $null
$readsPerMailbox = @{}
$rows = foreach ($count in $MailboxCounts) {
    $addresses = @(1..$count | ForEach-Object { 'bench{0:d3}@contoso.com' -f $_ })
    $mailboxes = @{}
    for ($i = 0; $i -lt $count; $i++) { $mailboxes[$addresses[$i]] = @($null, $true, $false)[$i % 3] }
    $tenantPath = New-FakeExchangeTenant -Path (Join-Path $work "tenant-$count.json") -Mailboxes $mailboxes -Expected @{ managedIdentity = $true }
    $environment = @{
        UCX_EXCHANGE_AUTH = 'managedIdentity'; UCX_EXCHANGE_ORGANIZATION = 'contoso.onmicrosoft.com'
        UCX_EXCHANGE_APP_ID = '0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11'; UCX_EXCHANGE_SP_OBJECT_ID = '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'
        UCX_EXCHANGE_SP_DISPLAY_NAME = 'UCXSuiteMail'; UCX_EXCHANGE_MAILBOXES = (ConvertTo-Json -InputObject $addresses -Compress)
        UCX_EXCHANGE_SMTP_AUTH = 'mailbox'
    }
    $previous = $null
    foreach ($pass in 'first run', 're-run') {
        Clear-FakeExchangeLog -Path $tenantPath
        $before = (Get-FakeExchangeTenant -Path $tenantPath).callCount
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $run = Invoke-UcxExchangeEntry -Operation apply -TenantPath $tenantPath -Environment $environment -PreviousStdout $previous
        $clock.Stop()
        if ($run.ExitCode -ne 0) { throw "bench: $count mailboxes, $pass failed: $($run.Stderr)" }
        $tenant = Get-FakeExchangeTenant -Path $tenantPath
        $connects = @($tenant.connects).Count
        $writes = @($tenant.writes).Count
        $reads = $tenant.callCount - $before - $writes
        if ($null -eq $loaded) { $loaded = @($tenant.connects[0].CommandName) }
        if ($connects -ne 1 -or ($pass -eq 're-run' -and $writes -ne 0) -or $run.Stdout.Length -gt $stateLimit) { $missed++ }
        if ($pass -eq 're-run') { $readsPerMailbox[$count] = $reads / $count }
        [pscustomobject]@{
            Mailboxes = $count; Run = $pass; Connects = $connects; Writes = $writes; Reads = $reads
            'Reads/mailbox' = [Math]::Round($reads / $count, 2); 'JSON chars' = $run.Stdout.Length; 'Wall (s)' = [Math]::Round($clock.Elapsed.TotalSeconds, 2)
        }
        $previous = $run.Stdout
    }
}
Remove-Item -LiteralPath $work -Recurse -Force
# Linear at most: the re-run's reads per mailbox never grow with the number of mailboxes (a small constant aside).
$counts = @($readsPerMailbox.Keys | Sort-Object)
for ($i = 1; $i -lt $counts.Count; $i++) { if ($readsPerMailbox[$counts[$i]] -gt $readsPerMailbox[$counts[$i - 1]] + 0.01) { $missed++ } }
Write-Output ('cmdlets loaded at connect (-CommandName): ' + ($loaded -join ', '))
$rows | Format-Table -AutoSize | Out-String -Width 140 | Write-Output
Write-Output ("targets: 1 Connect-ExchangeOnline per run for any N, 0 writes on a re-run, reads at most linear, JSON <= $stateLimit characters -> " + $(if ($missed -eq 0) { 'met' } else { "MISSED in $missed run(s)" }))
if ($missed -gt 0) { exit 1 }
