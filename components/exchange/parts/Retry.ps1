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

function Test-UcxNotFoundError {
    <#
    .SYNOPSIS
        Tells whether an Exchange error says that an object does not exist (yet).
    .DESCRIPTION
        By the exception type ManagementObjectNotFoundException, which the REST module puts in its message as
        Ex<hex>|<type>|<text> and remoting puts in the exception, or by the texts Exchange uses: "couldn't be found",
        "Couldn't find object", "wasn't found" and their variants. The text is not documented, so each form counts.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Message, [AllowNull()] [Exception] $Exception)
    if ($null -ne $Exception -and $Exception.GetType().Name -eq 'ManagementObjectNotFoundException') { return $true }
    $Message -match "ManagementObjectNotFoundException|couldn't be found|could not be found|couldn't find object|could not find object|wasn't found|was not found|does not exist"
}

function Get-UcxTransientReason {
    <#
    .SYNOPSIS
        Classifies an Exchange error as throttling, "not found yet" (propagation) or permanent ($null).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Message, [switch] $RetryNotFound, [AllowNull()] [Exception] $Exception)
    # "Micro delay applied" is only a warning (the cmdlet still ran), so it is not listed here.
    if ($Message -match 'throttl|server (is )?busy|too many (requests|concurrent)|\(429\)|try again later') { return 'throttled' }
    # New-ServicePrincipal checks -ObjectId against Entra, which may not have replicated a new enterprise application yet.
    if ($RetryNotFound -and $Message -match 'AADServicePrincipalNotFound') { return 'Entra has not replicated the enterprise application yet' }
    if ($RetryNotFound -and (Test-UcxNotFoundError -Message $Message -Exception $Exception)) { return 'not found yet' }
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
        [switch] $RetryNotFound,
        [string] $GiveUpHint = '',
        [int] $MaxRetries = -1
    )
    $attempt = 0
    while ($true) {
        try {
            # Waits can outlast a client-credentials token: renew it before the next attempt if needed.
            Update-UcxExchangeSession
            return (& $Action)
        } catch {
            $message = $_.Exception.Message
            $reason = Get-UcxTransientReason -Message $message -RetryNotFound:$RetryNotFound -Exception $_.Exception
            if ($null -eq $reason) { throw }
            $nominalMs = [Math]::Min($script:RetryFirstDelayMs * [Math]::Pow(2, $attempt), $script:RetryMaxDelayMs)
            $budget = $script:RetryBudget
            if (($MaxRetries -ge 0 -and $attempt -ge $MaxRetries) -or $budget.WaitedMs + $nominalMs -gt $budget.MaxWaitMs) {
                $minutes = [Math]::Round($budget.MaxWaitMs / 60000, 1)
                throw (New-UcxFailure -ErrorId 'UcxMailExchange.GaveUp' -Message (
                        "Step '$Step' gave up after waiting $minutes minute(s) (exchangeMaxWaitMinutes) because Exchange Online " +
                        "still answered ($reason): $(Hide-UcxSecret $message) $GiveUpHint" + 'Exchange Online is eventually consistent, so ' +
                        "$($budget.ResumeHint); raise exchangeMaxWaitMinutes if this keeps happening."))
            }
            $budget.WaitedMs += $nominalMs
            $attempt++
            Write-UcxLog "$Step`: $reason, retry $attempt in $([Math]::Round($nominalMs / 1000)) s"
            Start-Sleep -Milliseconds ([int][Math]::Ceiling($nominalMs * $budget.TimeScale))
        }
    }
}
