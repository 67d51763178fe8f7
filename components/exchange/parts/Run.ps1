# Run: the one entry point the command resources start: settings, one connection, record, apply or remove, one JSON line.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Invoke-UcxMailExchange {
    <#
    .SYNOPSIS
        The entry point the Pulumi command resource runs: read settings, connect once, apply or remove, print one JSON line.
    .PARAMETER Operation
        record (the read-only original-state command), apply (create and update) or remove (delete).
    .OUTPUTS
        The process exit code: 0 done, 1 a step failed, 2 bad input, 3 could not connect.
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Operation)
    try {
        if ($Operation -notin @('record', 'apply', 'remove')) {
            throw (New-UcxFailure -ErrorId 'UcxMailExchange.BadInput' -Message "The operation must be 'record', 'apply' or 'remove' (got '$Operation'), given as the script's argument or UCX_EXCHANGE_OPERATION.")
        }
        $settings = Get-UcxExchangeSetting
        $previousState = $null
        $original = $null
        if ($Operation -eq 'record') {
            $previousState = ConvertFrom-UcxOriginalRecord -Json $env:PULUMI_COMMAND_STDOUT -Source 'PULUMI_COMMAND_STDOUT'
        } else {
            $previousState = ConvertFrom-UcxExchangeState -Json $env:PULUMI_COMMAND_STDOUT
            # Delete needs no original: the last successful apply recorded everything it must restore.
            if ($Operation -eq 'apply') { $original = ConvertFrom-UcxOriginalRecord -Json $env:UCX_EXCHANGE_ORIGINAL -Source 'UCX_EXCHANGE_ORIGINAL' }
        }
        Reset-UcxRetryBudget -MaxWaitMinutes $settings.MaxWaitMinutes -TimeScale $settings.TimeScale
        Import-UcxExchangeModule
    } catch {
        [Console]::Error.WriteLine('ucx-mail exchange: ' + (Hide-UcxSecret $_.Exception.Message))
        return 2
    }
    if ($Operation -eq 'record') { $settings.CommandName = Get-UcxOriginalCmdlet -Settings $settings }
    else { $settings.CommandName = Get-UcxRequiredCmdlet -Operation $Operation -Settings $settings -PreviousState $previousState }
    try { Connect-UcxExchangeOnline -Settings $settings }
    catch {
        [Console]::Error.WriteLine('ucx-mail exchange: ' + (Hide-UcxSecret $_.Exception.Message))
        return 3
    }
    $exitCode = 0
    try {
        # A cmdlet no role grants is absent from the session: stop here, before the first write.
        Assert-UcxCmdletAvailable -Name $settings.CommandName
        # Warnings and other streams go to stderr: stdout carries nothing but the JSON line.
        $output = & {
            if ($Operation -eq 'record') {
                Get-UcxExchangeOriginal -AppId $settings.AppId -ServicePrincipalObjectId $settings.ServicePrincipalObjectId -Mailboxes $settings.Mailboxes -SmtpAuth $settings.SmtpAuth -Previous $previousState
            } elseif ($Operation -eq 'apply') {
                Sync-UcxExchangeAccess -AppId $settings.AppId -ServicePrincipalObjectId $settings.ServicePrincipalObjectId -ServicePrincipalName $settings.ServicePrincipalName -Mailboxes $settings.Mailboxes -SmtpAuth $settings.SmtpAuth -MailboxProtocols $settings.MailboxProtocols -Permissions $settings.Permissions -PreviousState $previousState -Original $original
            } else {
                Remove-UcxExchangeAccess -PreviousState $previousState
            }
        } 3>&1 4>&1 5>&1 6>&1
        $report = $null
        foreach ($item in @($output)) {
            if ($item -is [System.Collections.IDictionary] -and $item.Contains('schema')) { $report = $item }
            elseif ($null -ne $item) { Write-UcxLog ([string]$item) }
        }
        [Console]::Out.WriteLine((ConvertTo-Json -InputObject $report -Depth 8 -Compress))
    } catch {
        [Console]::Error.WriteLine('ucx-mail exchange: ' + (Hide-UcxSecret $_.Exception.Message))
        $exitCode = 1
    } finally {
        try { Invoke-UcxQuietly { Disconnect-ExchangeOnline -Confirm:$false -ErrorAction Stop } }
        catch { Write-UcxLog ('disconnect failed: ' + $_.Exception.Message) }
    }
    $exitCode
}
