# Run: the one entry point the command resource starts: settings, one connection, apply or remove, one JSON line.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Invoke-UcxMailExchange {
    <#
    .SYNOPSIS
        The entry point the Pulumi command resource runs: read settings, connect once, apply or remove, print one JSON line.
    .PARAMETER Operation
        apply (create and update) or remove (delete).
    .OUTPUTS
        The process exit code: 0 done, 1 a step failed, 2 bad input, 3 could not connect.
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Operation)
    try {
        if ($Operation -notin @('apply', 'remove')) {
            throw (New-UcxFailure -ErrorId 'UcxMailExchange.BadInput' -Message "The operation must be 'apply' or 'remove' (got '$Operation'), given as the script's argument or UCX_EXCHANGE_OPERATION.")
        }
        $settings = Get-UcxExchangeSetting
        $previousState = ConvertFrom-UcxExchangeState -Json $env:PULUMI_COMMAND_STDOUT
        Reset-UcxRetryBudget -MaxWaitMinutes $settings.MaxWaitMinutes -TimeScale $settings.TimeScale
        try { Invoke-UcxQuietly { Import-Module ExchangeOnlineManagement -ErrorAction Stop -Verbose:$false } }
        catch {
            throw (New-UcxFailure -ErrorId 'UcxMailExchange.BadInput' -Message 'The ExchangeOnlineManagement module is not installed; run: Install-Module ExchangeOnlineManagement -Scope CurrentUser.')
        }
    } catch {
        [Console]::Error.WriteLine('ucx-mail exchange: ' + (Hide-UcxSecret $_.Exception.Message))
        return 2
    }
    try { Connect-UcxExchangeOnline -Settings $settings }
    catch {
        [Console]::Error.WriteLine('ucx-mail exchange: ' + (Hide-UcxSecret $_.Exception.Message))
        return 3
    }
    $exitCode = 0
    try {
        # Warnings and other streams go to stderr: stdout carries nothing but the JSON line.
        $output = & {
            if ($Operation -eq 'apply') {
                Sync-UcxExchangeAccess -AppId $settings.AppId -ServicePrincipalObjectId $settings.ServicePrincipalObjectId -ServicePrincipalName $settings.ServicePrincipalName -Mailboxes $settings.Mailboxes -SmtpAuth $settings.SmtpAuth -PreviousState $previousState
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
