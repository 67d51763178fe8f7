# Retry: bounded backoff for throttling and propagation delay, charged against the run's exchangeMaxWaitMinutes budget.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# Nominal retry delays: doubling from 2 s, capped at 60 s, all charged against the run's exchangeMaxWaitMinutes budget.
$script:RetryFirstDelayMs = 2000
$script:RetryMaxDelayMs = 60000
$script:RetryBudget = @{ MaxWaitMs = 600000; WaitedMs = 0; TimeScale = 1.0; ResumeHint = 're-running `pulumi up` resumes safely' }

function Reset-UcxRetryBudget {
    <#
    .SYNOPSIS
        Starts a new retry budget: the total nominal wait of all retries in this run may not exceed MaxWaitMinutes.
    .PARAMETER TimeScale
        Test-only factor (0 < s <= 1) applied to the budget and to every sleep, so tests run the real schedule fast.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)] [ValidateRange(1, 120)] [int] $MaxWaitMinutes,
        [ValidateRange(0.000001, 1.0)] [double] $TimeScale = 1.0,
        [string] $ResumeHint = 're-running `pulumi up` resumes safely'
    )
    if ($PSCmdlet.ShouldProcess('retry budget', 'Reset')) {
        $script:RetryBudget = @{ MaxWaitMs = [double]$MaxWaitMinutes * 60000; WaitedMs = 0.0; TimeScale = $TimeScale; ResumeHint = $ResumeHint }
    }
}

function Get-UcxTransientReason {
    <#
    .SYNOPSIS
        Classifies an Exchange error as throttling, "not found yet" (propagation) or permanent ($null).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Message, [switch] $RetryNotFound)
    if ($Message -match 'throttl|server (is )?busy|too many (requests|concurrent)|micro ?delay|\(429\)|try again later') { return 'throttled' }
    if ($RetryNotFound -and $Message -match "couldn't be found|could not be found|wasn't found|was not found|does not exist") { return 'not found yet' }
    $null
}

function Invoke-UcxExchangeStep {
    <#
    .SYNOPSIS
        Runs one Exchange step, retrying throttling (and, with -RetryNotFound, propagation delay) with bounded backoff.
    .DESCRIPTION
        Delays double from 2 s up to 60 s. Their nominal sum over the whole run is bounded by exchangeMaxWaitMinutes;
        when the next delay would exceed it, the step fails with a message that names it and says how to resume.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Step,
        [Parameter(Mandatory)] [scriptblock] $Action,
        [switch] $RetryNotFound
    )
    $attempt = 0
    while ($true) {
        try {
            return (& $Action)
        } catch {
            $message = $_.Exception.Message
            $reason = Get-UcxTransientReason -Message $message -RetryNotFound:$RetryNotFound
            if ($null -eq $reason) { throw }
            $nominalMs = [Math]::Min($script:RetryFirstDelayMs * [Math]::Pow(2, $attempt), $script:RetryMaxDelayMs)
            $budget = $script:RetryBudget
            if ($budget.WaitedMs + $nominalMs -gt $budget.MaxWaitMs) {
                $minutes = [Math]::Round($budget.MaxWaitMs / 60000, 1)
                throw (New-UcxFailure -ErrorId 'UcxMailExchange.GaveUp' -Message (
                        "Step '$Step' gave up after waiting $minutes minute(s) (exchangeMaxWaitMinutes) because Exchange Online " +
                        "still answered ($reason): $(Hide-UcxSecret $message) Exchange Online is eventually consistent, so " +
                        "$($budget.ResumeHint); raise exchangeMaxWaitMinutes if this keeps happening."))
            }
            $budget.WaitedMs += $nominalMs
            $attempt++
            Write-UcxLog "$Step`: $reason, retry $attempt in $([Math]::Round($nominalMs / 1000)) s"
            Start-Sleep -Milliseconds ([int][Math]::Ceiling($nominalMs * $budget.TimeScale))
        }
    }
}
