# Connection and settings: validated settings from the environment, secret masking, stderr logging, one-sentence
# failures, the app-only token and the one Connect-ExchangeOnline of a run.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$script:StateSchema = 'ucx-mail/exchange/v1'
$script:DefaultAuthorityBase = 'https://login.microsoftonline.com'
$script:ExchangeScope = 'https://outlook.office365.com/.default'
$script:SecretsToHide = New-Object System.Collections.Generic.List[string]

function New-UcxFailure {
    <#
    .SYNOPSIS
        Builds the one-sentence error that the entry script prints for bad input, connect failures and give-ups.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param([Parameter(Mandatory)] [string] $Message, [string] $ErrorId = 'UcxMailExchange.Failure')
    $exception = New-Object System.InvalidOperationException $Message
    New-Object System.Management.Automation.ErrorRecord $exception, $ErrorId, 'InvalidOperation', $null
}

function Hide-UcxSecret {
    <#
    .SYNOPSIS
        Replaces every registered secret value, and anything shaped like a JWT, with '***' so messages can be printed safely.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowEmptyString()] [AllowNull()] [string] $Text)
    if ([string]::IsNullOrEmpty($Text)) { return '' }
    foreach ($secret in $script:SecretsToHide) {
        if (-not [string]::IsNullOrEmpty($secret)) { $Text = $Text.Replace($secret, '***') }
    }
    # Also any JWT, such as a token the Exchange module fetched itself and quoted in an error: never registered here.
    [regex]::Replace($Text, 'eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}(\.[A-Za-z0-9_-]*)?', '***')
}

function Write-UcxLog {
    <#
    .SYNOPSIS
        Writes a progress line to stderr, because stdout is reserved for the one JSON line.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Message)
    [Console]::Error.WriteLine('ucx-mail exchange: ' + (Hide-UcxSecret $Message))
}

function Invoke-UcxQuietly {
    <#
    .SYNOPSIS
        Runs a block and sends its warnings, verbose, debug and host lines to stderr, dropping its output.
    .DESCRIPTION
        The Exchange module talks on the host (Disconnect-ExchangeOnline prints "Disconnected successfully !" with
        Write-Host), and pwsh writes host output to stdout, which must carry nothing but the JSON line.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [scriptblock] $Action)
    $records = & $Action 3>&1 4>&1 5>&1 6>&1
    foreach ($record in @($records)) {
        if ($record -is [System.Management.Automation.WarningRecord] -or $record -is [System.Management.Automation.InformationalRecord] -or
            $record -is [System.Management.Automation.InformationRecord]) {
            $text = ([string]$record).Trim()
            if ($text) { Write-UcxLog $text }
        }
    }
}

function Get-UcxExchangeSetting {
    <#
    .SYNOPSIS
        Reads and validates the run's settings from environment variables; throws one sentence naming every bad variable.
    .PARAMETER Environment
        The variables to read (defaults to the process environment); tests pass a hashtable.
    #>
    [CmdletBinding()]
    param([System.Collections.IDictionary] $Environment)
    if ($null -eq $Environment) {
        $Environment = @{}
        foreach ($entry in [Environment]::GetEnvironmentVariables().GetEnumerator()) { $Environment[[string]$entry.Key] = [string]$entry.Value }
    }
    $read = { param($name) if ($Environment.Contains($name) -and -not [string]::IsNullOrWhiteSpace([string]$Environment[$name])) { ([string]$Environment[$name]).Trim() } else { $null } }
    $problems = New-Object System.Collections.Generic.List[string]
    $guid = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'

    $auth = & $read 'UCX_EXCHANGE_AUTH'
    if ($auth -notin @('certificate', 'clientSecret', 'accessToken', 'managedIdentity')) {
        $problems.Add("UCX_EXCHANGE_AUTH must be certificate, clientSecret, accessToken or managedIdentity (exchangeAuth; use the exported exchangeSetupScript for manual)")
    }
    $appId = & $read 'UCX_EXCHANGE_APP_ID'
    if ($appId -notmatch $guid) { $problems.Add('UCX_EXCHANGE_APP_ID must be the application (client) id GUID') }
    $objectId = & $read 'UCX_EXCHANGE_SP_OBJECT_ID'
    if ($objectId -notmatch $guid) { $problems.Add('UCX_EXCHANGE_SP_OBJECT_ID must be the enterprise application object id GUID') }
    $name = & $read 'UCX_EXCHANGE_SP_DISPLAY_NAME'
    if ($null -eq $name) { $problems.Add('UCX_EXCHANGE_SP_DISPLAY_NAME must be set (exchangeServicePrincipalName)') }
    $smtpAuth = & $read 'UCX_EXCHANGE_SMTP_AUTH'
    if ($smtpAuth -notin @('mailbox', 'organization', 'unchanged')) { $problems.Add('UCX_EXCHANGE_SMTP_AUTH must be mailbox, organization or unchanged (smtpAuth)') }
    $mailboxes = @()
    $mailboxesJson = & $read 'UCX_EXCHANGE_MAILBOXES'
    try {
        $parsed = @(ConvertFrom-Json -InputObject $mailboxesJson)
        $mailboxes = @($parsed | ForEach-Object { ([string]$_).Trim().ToLowerInvariant() } | Select-Object -Unique)
        if ($mailboxes.Count -eq 0 -or @($mailboxes | Where-Object { $_ -notmatch '^[^@\s]+@[^@\s]+\.[^@\s]+$' }).Count -gt 0) { throw 'bad' }
    } catch {
        $problems.Add('UCX_EXCHANGE_MAILBOXES must be a JSON array of one or more e-mail addresses (mailboxes)')
    }
    $organization = & $read 'UCX_EXCHANGE_ORGANIZATION'
    if ($organization -notmatch '^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$') { $problems.Add('UCX_EXCHANGE_ORGANIZATION must be the tenant domain such as contoso.onmicrosoft.com (exchangeOrganization)') }
    $maxWait = 10
    $maxWaitText = & $read 'UCX_EXCHANGE_MAX_WAIT_MINUTES'
    if ($null -ne $maxWaitText) {
        if ($maxWaitText -match '^\d{1,3}$' -and [int]$maxWaitText -ge 1 -and [int]$maxWaitText -le 120) { $maxWait = [int]$maxWaitText }
        else { $problems.Add('UCX_EXCHANGE_MAX_WAIT_MINUTES must be a whole number of minutes from 1 to 120 (exchangeMaxWaitMinutes)') }
    }
    $settings = [ordered]@{
        Auth = $auth; AppId = $appId; ServicePrincipalObjectId = $objectId; ServicePrincipalName = $name; SmtpAuth = $smtpAuth
        Mailboxes = $mailboxes; Organization = $organization; MaxWaitMinutes = $maxWait
        AutomationAppId = & $read 'UCX_EXCHANGE_AUTOMATION_APP_ID'; CertificatePath = & $read 'UCX_EXCHANGE_CERTIFICATE_PATH'
        CertificatePassword = $(if ($Environment.Contains('UCX_EXCHANGE_CERTIFICATE_PASSWORD')) { [string]$Environment['UCX_EXCHANGE_CERTIFICATE_PASSWORD'] } else { $null })
        ClientSecret = & $read 'UCX_EXCHANGE_CLIENT_SECRET'; AccessToken = & $read 'EXO_ACCESS_TOKEN'; AdminUpn = & $read 'UCX_EXCHANGE_ADMIN_UPN'
        AuthorityBase = $script:DefaultAuthorityBase; TimeScale = 1.0
    }
    switch ($auth) {
        'certificate' {
            if ($settings.AutomationAppId -notmatch $guid) { $problems.Add('UCX_EXCHANGE_AUTOMATION_APP_ID must be the automation app id GUID (exchangeAppId)') }
            if ($null -eq $settings.CertificatePath) { $problems.Add('UCX_EXCHANGE_CERTIFICATE_PATH must name the PFX file (exchangeCertificatePath)') }
            elseif (-not (Test-Path -LiteralPath $settings.CertificatePath -PathType Leaf)) { $problems.Add("UCX_EXCHANGE_CERTIFICATE_PATH names '$($settings.CertificatePath)', which is not a file (exchangeCertificatePath)") }
        }
        'clientSecret' {
            if ($settings.AutomationAppId -notmatch $guid) { $problems.Add('UCX_EXCHANGE_AUTOMATION_APP_ID must be the automation app id GUID (exchangeAppId)') }
            if ($null -eq $settings.ClientSecret) { $problems.Add('UCX_EXCHANGE_CLIENT_SECRET must be set (pulumi config set --secret exchangeClientSecret)') }
        }
        'accessToken' {
            if ($null -eq $settings.AccessToken) { $problems.Add('EXO_ACCESS_TOKEN must hold an Exchange Online access token in the environment of pulumi up (exchangeAuth accessToken)') }
        }
    }
    # Test-only knobs: a loopback token endpoint and a time scale; refused for anything else so secrets never leave.
    $authority = & $read 'UCX_EXCHANGE_TEST_AUTHORITY'
    if ($null -ne $authority) {
        if ($authority -match '^http://(127\.0\.0\.1|\[::1\]|localhost)(:\d+)?/?$') { $settings.AuthorityBase = $authority.TrimEnd('/') }
        else { $problems.Add('UCX_EXCHANGE_TEST_AUTHORITY is for tests only and must be a loopback http URL; unset it') }
    }
    $scale = & $read 'UCX_EXCHANGE_TEST_TIME_SCALE'
    if ($null -ne $scale) {
        $value = 0.0
        if ([double]::TryParse($scale, [System.Globalization.NumberStyles]::Float, [System.Globalization.CultureInfo]::InvariantCulture, [ref]$value) -and $value -gt 0 -and $value -le 1) { $settings.TimeScale = $value }
        else { $problems.Add('UCX_EXCHANGE_TEST_TIME_SCALE is for tests only and must be a number in (0, 1]; unset it') }
    }
    foreach ($secret in @($settings.CertificatePassword, $settings.ClientSecret, $settings.AccessToken)) { if ($secret) { $script:SecretsToHide.Add($secret) } }
    if ($problems.Count -gt 0) {
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.BadInput' -Message ('Invalid Exchange step settings: ' + ($problems -join '; ') + '.'))
    }
    $settings
}

function Get-UcxExchangeAccessToken {
    <#
    .SYNOPSIS
        Gets an app-only Exchange Online token (client credentials for https://outlook.office365.com/.default).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Organization,
        [Parameter(Mandatory)] [string] $ClientId,
        [Parameter(Mandatory)] [string] $ClientSecret,
        [string] $AuthorityBase = $script:DefaultAuthorityBase
    )
    $script:SecretsToHide.Add($ClientSecret)
    $uri = "$AuthorityBase/$([Uri]::EscapeDataString($Organization))/oauth2/v2.0/token"
    $body = @{ client_id = $ClientId; client_secret = $ClientSecret; scope = $script:ExchangeScope; grant_type = 'client_credentials' }
    try {
        $response = Invoke-RestMethod -Method Post -Uri $uri -Body $body -ContentType 'application/x-www-form-urlencoded'
    } catch {
        $detail = ''
        if ($_.ErrorDetails -and $_.ErrorDetails.Message) {
            try { $detail = [string](ConvertFrom-Json -InputObject $_.ErrorDetails.Message).error_description } catch { $detail = $_.ErrorDetails.Message }
        }
        if (-not $detail) { $detail = $_.Exception.Message }
        $firstLine = (Hide-UcxSecret $detail) -split "`r?`n" | Select-Object -First 1
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.TokenFailed' -Message (
                "Could not get an Exchange Online token for app $ClientId in $Organization ($firstLine); check exchangeAppId, " +
                'exchangeOrganization and that exchangeClientSecret is current.'))
    }
    $token = [string]$response.access_token
    if ([string]::IsNullOrEmpty($token)) {
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.TokenFailed' -Message "The token endpoint for $Organization answered without an access_token; check exchangeOrganization.")
    }
    $script:SecretsToHide.Add($token)
    $token
}

function Connect-UcxExchangeOnline {
    <#
    .SYNOPSIS
        Opens the one Exchange Online session of a run, in the mode chosen by exchangeAuth, without a banner.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)] [System.Collections.IDictionary] $Settings)
    $parameters = @{ ShowBanner = $false }
    switch ($Settings.Auth) {
        'certificate' {
            $parameters.AppId = $Settings.AutomationAppId
            $parameters.CertificateFilePath = (Resolve-Path -LiteralPath $Settings.CertificatePath).ProviderPath
            if (-not [string]::IsNullOrEmpty($Settings.CertificatePassword)) {
                $parameters.CertificatePassword = ConvertTo-SecureString -String $Settings.CertificatePassword -AsPlainText -Force
            }
            $parameters.Organization = $Settings.Organization
        }
        'clientSecret' {
            $parameters.AccessToken = Get-UcxExchangeAccessToken -Organization $Settings.Organization -ClientId $Settings.AutomationAppId -ClientSecret $Settings.ClientSecret -AuthorityBase $Settings.AuthorityBase
            $parameters.Organization = $Settings.Organization
        }
        'accessToken' {
            $parameters.AccessToken = $Settings.AccessToken
            # A delegated token belongs to an admin user; an app-only token names the organization instead.
            if ($Settings.AdminUpn) { $parameters.UserPrincipalName = $Settings.AdminUpn } else { $parameters.Organization = $Settings.Organization }
        }
        'managedIdentity' {
            $parameters.ManagedIdentity = $true
            $parameters.Organization = $Settings.Organization
        }
    }
    if (-not $PSCmdlet.ShouldProcess($Settings.Organization, "Connect-ExchangeOnline ($($Settings.Auth))")) { return }
    try {
        Invoke-UcxQuietly { Connect-ExchangeOnline @parameters }
    } catch {
        $firstLine = (Hide-UcxSecret $_.Exception.Message) -split "`r?`n" | Select-Object -First 1
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.ConnectFailed' -Message (
                "Could not connect to Exchange Online for $($Settings.Organization) with exchangeAuth $($Settings.Auth) ($firstLine); " +
                'check the exchange* config keys and that the automation identity holds Exchange.ManageAsApp and the Exchange Administrator role.'))
    }
}
