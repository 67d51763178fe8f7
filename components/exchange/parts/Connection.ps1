# Connection and settings: validated settings from the environment, secret masking, stderr logging, one-sentence
# failures, the app-only token and the one Connect-ExchangeOnline of a run.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# v2 records previous values per setting (compact enough for 200 mailboxes in one environment variable); v1 is still read.
$script:StateSchema = 'ucx-mail/exchange/v2'
$script:LegacyStateSchema = 'ucx-mail/exchange/v1'
# The settings a run may change on a mailbox, recorded with their values from before ucx-mail first changed them.
$script:MailboxSettingNames = @('smtpClientAuthenticationDisabled', 'imapEnabled', 'popEnabled')
# contract/ucx-mail.json, loaded by the module loader or rendered into the manual script before this part.
$script:GuidPattern = [string]$script:UcxContract.patterns.guid
$script:AddressPattern = [string]$script:UcxContract.patterns.plainAddress
$script:SecretsToHide = New-Object System.Collections.Generic.List[string]
# The open session of an automated run (settings, when its token was issued and for how long); $null in the manual script.
$script:ExchangeSession = $null
$script:LastTokenLifetimeSeconds = $null
# Renew a client-credentials token this long before it expires, so no cmdlet runs on a token about to lapse.
$script:TokenRenewMarginSeconds = 300
# The one minimum ExchangeOnlineManagement version (docs/exchange.md): -AccessToken needs 3.1.0, and the 3.10.0 release
# notes name PowerShell 7.6, which this project pins, as supported (as quoted in maester365/maester discussion 1827).
$script:MinimumExchangeModuleVersion = '3.10.0'
# The Exchange Online management role that grants each cmdlet (the contract names its source).
$script:CmdletRole = [ordered]@{}
foreach ($ucxRole in $script:UcxContract.microsoft.cmdletRoles.PSObject.Properties) { $script:CmdletRole[$ucxRole.Name] = [string]$ucxRole.Value }
Remove-Variable -Name ucxRole -ErrorAction SilentlyContinue

function Get-UcxCloudSetting {
    <#
    .SYNOPSIS
        The Exchange environment, token authority and Exchange resource scope of a cloud named in UCX_EXCHANGE_CLOUD
        (unset: public, as every stack applied before the setting existed); adds a problem for an unknown name, naming
        From, where the admin sets it.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param([AllowNull()] [string] $Name, [Parameter(Mandatory)] [AllowEmptyCollection()] [System.Collections.Generic.List[string]] $Problems, [string] $From = 'cloud')
    if ([string]::IsNullOrWhiteSpace($Name)) { $Name = 'public' }
    $clouds = @($script:UcxContract.settings.clouds)
    if ($clouds -cnotcontains $Name) {
        $Problems.Add("$($script:UcxContract.environment.cloud) must be one of $($clouds -join ', ') ($From)")
        $Name = 'public'
    }
    $cloud = $script:UcxContract.clouds.$Name
    @{
        Cloud = $Name; ExchangeEnvironmentName = [string]$cloud.exchangeEnvironmentName; AuthorityBase = [string]$cloud.authorityHost
        ExchangeScope = "https://$($cloud.exchangeResourceHost)/.default"; OrganizationSuffix = [string]$cloud.organizationSuffix
    }
}

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

function Import-UcxExchangeModule {
    <#
    .SYNOPSIS
        Loads ExchangeOnlineManagement (at least the minimum version) from PSModulePath, or fails with the first line of the
        real error and the command that fixes it.
    #>
    [CmdletBinding()]
    param()
    try { Invoke-UcxQuietly { Import-Module ExchangeOnlineManagement -MinimumVersion $script:MinimumExchangeModuleVersion -ErrorAction Stop -Verbose:$false } }
    catch {
        $firstLine = (Hide-UcxSecret $_.Exception.Message) -split "`r?`n" | Select-Object -First 1
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.BadInput' -Message (
                "The ExchangeOnlineManagement module ($script:MinimumExchangeModuleVersion or later) could not be loaded from PSModulePath ($firstLine); " +
                "install or update it with: Install-Module ExchangeOnlineManagement -MinimumVersion $script:MinimumExchangeModuleVersion -Scope CurrentUser."))
    }
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

function Get-UcxProcessEnvironment {
    <#
    .SYNOPSIS
        Copies the process environment into a hashtable, the form the settings readers take (tests pass their own).
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param()
    $environment = @{}
    foreach ($entry in [Environment]::GetEnvironmentVariables().GetEnumerator()) { $environment[[string]$entry.Key] = [string]$entry.Value }
    $environment
}

function New-UcxEnvironmentReader {
    <#
    .SYNOPSIS
        Returns a block that reads one variable from Environment: trimmed, or $null when it is unset or blank.
    #>
    [CmdletBinding()]
    [OutputType([scriptblock])]
    param([Parameter(Mandatory)] [System.Collections.IDictionary] $Environment)
    { param($name) if ($Environment.Contains($name) -and -not [string]::IsNullOrWhiteSpace([string]$Environment[$name])) { ([string]$Environment[$name]).Trim() } else { $null } }.GetNewClosure()
}

function Get-UcxExchangeSetting {
    <#
    .SYNOPSIS
        Reads and validates the settings of an Exchange step or of the doctor from the UCX_EXCHANGE_* variables (the names
        in contract/ucx-mail.json); throws one sentence naming every bad variable.
    .PARAMETER Environment
        The variables to read (defaults to the process environment); tests pass a hashtable.
    .PARAMETER Purpose
        Steps (record, apply, remove: what the principal and grants need) or Doctor (the read-only diagnosis, which also
        signs in interactively). Each problem names the config key of the stack, or the doctor's flag.
    #>
    [CmdletBinding()]
    param([System.Collections.IDictionary] $Environment, [ValidateSet('Steps', 'Doctor')] [string] $Purpose = 'Steps')
    if ($null -eq $Environment) { $Environment = Get-UcxProcessEnvironment }
    $read = New-UcxEnvironmentReader -Environment $Environment
    $names = $script:UcxContract.environment
    $forDoctor = $Purpose -eq 'Doctor'
    # Where the admin sets a value: the stack's config key for the steps, the doctor's flag for the doctor.
    $from = { param($configKey, $doctorFlag) if ($forDoctor) { $doctorFlag } else { $configKey } }.GetNewClosure()
    $problems = New-Object System.Collections.Generic.List[string]
    $guid = $script:GuidPattern
    $cloud = Get-UcxCloudSetting -Name (& $read $names.cloud) -Problems $problems -From (& $from 'cloud' '--cloud')

    $auth = & $read $names.auth
    # Only the doctor signs in interactively; the steps never run with a person at the keyboard.
    $modes = @($script:UcxContract.settings.exchangeAuthModes | Where-Object { $_ -ne 'manual' })
    if ($forDoctor) { $modes += 'interactive' }
    if ($auth -notin $modes) {
        $hint = & $from 'exchangeAuth; use the exported exchangeSetupScript for manual' '--exchange'
        $problems.Add("$($names.auth) must be $(($modes[0..($modes.Count - 2)]) -join ', ') or $($modes[-1]) ($hint)")
    }
    $appId = & $read $names.appId
    if ($appId -notmatch $guid) { $problems.Add("$($names.appId) must be the application (client) id GUID$(if ($forDoctor) { ' (--client-id)' })") }
    $mailboxes = @()
    try {
        $mailboxes = @(@(ConvertFrom-Json -InputObject (& $read $names.mailboxes)) | ForEach-Object { ([string]$_).Trim().ToLowerInvariant() } | Select-Object -Unique)
        if ($mailboxes.Count -eq 0 -or @($mailboxes | Where-Object { $_ -notmatch $script:AddressPattern }).Count -gt 0) { throw 'bad' }
    } catch {
        $problems.Add("$($names.mailboxes) must be a JSON array of one or more e-mail addresses ($(& $from 'mailboxes' '--mailbox'))")
    }
    $organization = & $read $names.organization
    # A domain of another cloud would connect to a cloud that refuses the tenant (AADSTS900382).
    if (-not (Test-UcxOrganizationOfCloud -Organization $organization -Cloud $cloud)) {
        $problems.Add("$($names.organization) must be the tenant's initial domain in the $($cloud.Cloud) cloud, such as contoso.$($cloud.OrganizationSuffix) ($(& $from 'exchangeOrganization, cloud' '--exchange-organization, --cloud'))")
    }
    $accountId = & $read $names.managedIdentityAccountId
    if ($null -ne $accountId -and ($accountId -notmatch $guid -or $auth -ne 'managedIdentity')) {
        $problems.Add("$($names.managedIdentityAccountId) must be the client id GUID of a user-assigned managed identity, and only with $($names.auth) managedIdentity ($(& $from 'exchangeManagedIdentityAccountId' '--exchange-managed-identity-account-id'))")
    }
    $settings = [ordered]@{
        Purpose = $Purpose; Auth = $auth; AppId = $appId; Mailboxes = $mailboxes; Organization = $organization; ManagedIdentityAccountId = $accountId
        AutomationAppId = & $read $names.automationAppId; CertificatePath = & $read $names.certificatePath
        CertificatePassword = $(if ($Environment.Contains($names.certificatePassword)) { [string]$Environment[$names.certificatePassword] } else { $null })
        ClientSecret = & $read $names.clientSecret; AccessToken = & $read $names.accessToken; AdminUpn = & $read $names.adminUpn
        Cloud = $cloud.Cloud; ExchangeEnvironmentName = $cloud.ExchangeEnvironmentName; AuthorityBase = $cloud.AuthorityBase
        ExchangeScope = $cloud.ExchangeScope; CommandName = @(); TimeScale = 1.0
        MaxWaitMinutes = [int]$script:UcxContract.settings.defaults.exchangeMaxWaitMinutes
    }
    if (-not $forDoctor) { Add-UcxStepSetting -Settings $settings -Read $read -Problems $problems }
    switch ($auth) {
        'certificate' {
            if ($settings.AutomationAppId -notmatch $guid) { $problems.Add("$($names.automationAppId) must be the automation app id GUID ($(& $from 'exchangeAppId' '--exchange-app-id'))") }
            # Delete and update run with the environment stored at the last apply, which overrides the process's own
            # (pulumi-command commandOutputs.go appends it after os.Environ(); os/exec keeps the last duplicate), so the
            # machine that runs them names its own PFX in a variable the stack never stores.
            $localPath = & $read $names.localCertificatePath
            if ($null -ne $localPath) { $settings.CertificatePath = $localPath }
            if ($null -eq $settings.CertificatePath) { $problems.Add("$($names.certificatePath) must name the PFX file ($(& $from 'exchangeCertificatePath' '--exchange-certificate-path'))") }
            elseif (-not (Test-Path -LiteralPath $settings.CertificatePath -PathType Leaf)) {
                $problems.Add("the PFX file '$($settings.CertificatePath)' does not exist on this machine ($(& $from 'exchangeCertificatePath' '--exchange-certificate-path'), or $($names.localCertificatePath) when set); on a machine other than the one that ran the last ``pulumi up`` (a CI runner's temporary path, say), set $($names.localCertificatePath) to the PFX here and run again")
            }
        }
        'clientSecret' {
            if ($settings.AutomationAppId -notmatch $guid) { $problems.Add("$($names.automationAppId) must be the automation app id GUID ($(& $from 'exchangeAppId' '--exchange-app-id'))") }
            if ($null -eq $settings.ClientSecret) { $problems.Add("$($names.clientSecret) must hold the automation app secret ($(& $from 'pulumi config set --secret exchangeClientSecret' 'set it in the environment'))") }
        }
        'accessToken' {
            if ($null -eq $settings.AccessToken) { $problems.Add("$($names.accessToken) must hold an Exchange Online access token ($(& $from 'in the environment of pulumi up, exchangeAuth accessToken' 'in the environment of the doctor'))") }
            elseif (-not $forDoctor) {
                # A given token cannot be refreshed: it must outlive the longest wait this run may need.
                $minutesLeft = Get-UcxTokenMinutesLeft -Token $settings.AccessToken
                if ($null -ne $minutesLeft -and $minutesLeft -lt ($settings.MaxWaitMinutes + 5)) {
                    $problems.Add("$($names.accessToken) expires in $([Math]::Max(0, [Math]::Floor($minutesLeft))) minute(s), but the Exchange steps may wait up to $($settings.MaxWaitMinutes) minute(s) (exchangeMaxWaitMinutes) plus 5 for their own work, and a given token cannot be refreshed; get a fresh token right before pulumi up, lower exchangeMaxWaitMinutes, or use exchangeAuth certificate")
                }
            }
        }
        'interactive' {
            if ($forDoctor -and $null -eq $settings.AdminUpn) { $problems.Add("$($names.adminUpn) must name the admin who signs in (--exchange-admin-upn)") }
        }
    }
    Add-UcxTestKnob -Settings $settings -Read $read -Problems $problems
    foreach ($secret in @($settings.CertificatePassword, $settings.ClientSecret, $settings.AccessToken)) { if ($secret) { $script:SecretsToHide.Add($secret) } }
    if ($problems.Count -gt 0) {
        $what = if ($forDoctor) { 'Invalid --exchange settings: ' } else { 'Invalid Exchange step settings: ' }
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.BadInput' -Message ($what + ($problems -join '; ') + '.'))
    }
    $settings
}

function Add-UcxStepSetting {
    <#
    .SYNOPSIS
        Adds what only the Exchange steps need to Settings (the principal, the SMTP AUTH scope, the wait, the
        permissions, the protocols), adding a problem naming the variable and config key of each bad one.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Settings,
        [Parameter(Mandatory)] [scriptblock] $Read,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [System.Collections.Generic.List[string]] $Problems
    )
    $names = $script:UcxContract.environment
    $Settings.ServicePrincipalObjectId = & $Read $names.servicePrincipalObjectId
    if ($Settings.ServicePrincipalObjectId -notmatch $script:GuidPattern) { $Problems.Add("$($names.servicePrincipalObjectId) must be the enterprise application object id GUID") }
    $Settings.ServicePrincipalName = & $Read $names.servicePrincipalName
    if ($null -eq $Settings.ServicePrincipalName) { $Problems.Add("$($names.servicePrincipalName) must be set (exchangeServicePrincipalName)") }
    $Settings.SmtpAuth = & $Read $names.smtpAuth
    $scopes = @($script:UcxContract.settings.smtpAuthScopes)
    if ($Settings.SmtpAuth -cnotin $scopes) { $Problems.Add("$($names.smtpAuth) must be $(($scopes[0..($scopes.Count - 2)]) -join ', ') or $($scopes[-1]) (smtpAuth)") }
    $range = $script:UcxContract.settings.ranges.exchangeMaxWaitMinutes
    $maxWaitText = & $Read $names.maxWaitMinutes
    if ($null -ne $maxWaitText) {
        if ($maxWaitText -match '^\d{1,3}$' -and [int]$maxWaitText -ge $range.min -and [int]$maxWaitText -le $range.max) { $Settings.MaxWaitMinutes = [int]$maxWaitText }
        else { $Problems.Add("$($names.maxWaitMinutes) must be a whole number of minutes from $($range.min) to $($range.max) (exchangeMaxWaitMinutes)") }
    }
    $Settings.MailboxProtocols = & $Read $names.mailboxProtocols
    if ($null -eq $Settings.MailboxProtocols) { $Settings.MailboxProtocols = 'enable' }
    if ($Settings.MailboxProtocols -cnotin @($script:UcxContract.settings.mailboxProtocolModes)) { $Problems.Add("$($names.mailboxProtocols) must be $(@($script:UcxContract.settings.mailboxProtocolModes) -join ' or ') (mailboxProtocols)") }
    $Settings.Permissions = @($script:UcxContract.settings.defaults.permissions)
    $permissionsJson = & $Read $names.permissions
    if ($null -ne $permissionsJson) {
        $roleNames = @($script:UcxContract.microsoft.exchangeRoleNames)
        try {
            $Settings.Permissions = @(@(ConvertFrom-Json -InputObject $permissionsJson) | ForEach-Object { [string]$_ })
            if (@($Settings.Permissions | Where-Object { $_ -notin $roleNames }).Count -gt 0) { throw 'bad' }
        } catch { $Problems.Add("$($names.permissions) must be a JSON array of $($roleNames -join ', ') (permissions)") }
    }
}

function Add-UcxTestKnob {
    <#
    .SYNOPSIS
        Applies the test-only knobs (a loopback token endpoint and a time scale), refused for anything else so secrets
        never leave the machine and no real run is slowed or hurried.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Settings,
        [Parameter(Mandatory)] [scriptblock] $Read,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [System.Collections.Generic.List[string]] $Problems
    )
    $authority = & $Read 'UCX_EXCHANGE_TEST_AUTHORITY'
    if ($null -ne $authority) {
        if ($authority -match '^http://(127\.0\.0\.1|\[::1\]|localhost)(:\d+)?/?$') { $Settings.AuthorityBase = $authority.TrimEnd('/') }
        else { $Problems.Add('UCX_EXCHANGE_TEST_AUTHORITY is for tests only and must be a loopback http URL; unset it') }
    }
    $scale = & $Read 'UCX_EXCHANGE_TEST_TIME_SCALE'
    if ($null -ne $scale) {
        $value = 0.0
        if ([double]::TryParse($scale, [System.Globalization.NumberStyles]::Float, [System.Globalization.CultureInfo]::InvariantCulture, [ref]$value) -and $value -gt 0 -and $value -le 1) { $Settings.TimeScale = $value }
        else { $Problems.Add('UCX_EXCHANGE_TEST_TIME_SCALE is for tests only and must be a number in (0, 1]; unset it') }
    }
}

function Test-UcxOrganizationOfCloud {
    <#
    .SYNOPSIS
        Whether a domain is a tenant's initial domain (<label>.<suffix>) in the given cloud.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param([AllowNull()] [string] $Organization, [Parameter(Mandatory)] [hashtable] $Cloud)
    if ([string]::IsNullOrEmpty($Organization)) { return $false }
    $suffix = '.' + $Cloud.OrganizationSuffix
    if (-not $Organization.EndsWith($suffix, [StringComparison]::OrdinalIgnoreCase)) { return $false }
    $Organization.Substring(0, $Organization.Length - $suffix.Length) -match [string]$script:UcxContract.patterns.initialDomainLabel
}

function Get-UcxTokenMinutesLeft {
    <#
    .SYNOPSIS
        Minutes until a JWT's exp claim, or $null when the token is not a JWT whose payload can be read.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Token, [DateTime] $Now = [DateTime]::UtcNow)
    $segments = $Token.Split('.')
    if ($segments.Count -lt 2) { return $null }
    try {
        $payload = $segments[1].Replace('-', '+').Replace('_', '/')
        $payload += '=' * ((4 - $payload.Length % 4) % 4)
        $claims = ConvertFrom-Json -InputObject ([System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($payload)))
        $exp = [double]$claims.exp
    } catch { return $null }
    if ($exp -le 0) { return $null }
    ([DateTime]::new(1970, 1, 1, 0, 0, 0, [DateTimeKind]::Utc).AddSeconds($exp) - $Now).TotalMinutes
}

function Get-UcxExchangeAccessToken {
    <#
    .SYNOPSIS
        Gets an app-only Exchange Online token: client credentials at the cloud's authority for its Exchange resource.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Organization,
        [Parameter(Mandatory)] [string] $ClientId,
        [Parameter(Mandatory)] [string] $ClientSecret,
        [Parameter(Mandatory)] [string] $AuthorityBase,
        [Parameter(Mandatory)] [string] $Scope
    )
    $script:SecretsToHide.Add($ClientSecret)
    $uri = "$AuthorityBase/$([Uri]::EscapeDataString($Organization))/oauth2/v2.0/token"
    $body = @{ client_id = $ClientId; client_secret = $ClientSecret; scope = $Scope; grant_type = 'client_credentials' }
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
    $lifetime = 3600.0
    if ($response.PSObject.Properties['expires_in']) { $lifetime = [double]$response.expires_in }
    $script:LastTokenLifetimeSeconds = $lifetime
    $token
}

function Get-UcxConnectParameter {
    <#
    .SYNOPSIS
        Builds the Connect-ExchangeOnline parameters for the mode in Settings.Auth; the Exchange steps and the doctor share it.
    .DESCRIPTION
        In clientSecret mode it fetches the token first, so the caller reads its lifetime from $script:LastTokenLifetimeSeconds.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param([Parameter(Mandatory)] [System.Collections.IDictionary] $Settings)
    # -CommandName imports only what the run calls and -SkipLoadingFormatData skips the format download (Connect-ExchangeOnline reference).
    $parameters = @{ ShowBanner = $false; SkipLoadingFormatData = $true }
    if ($Settings.Contains('CommandName') -and @($Settings.CommandName).Count -gt 0) { $parameters.CommandName = [string[]]@($Settings.CommandName) }
    # National clouds are chosen by -ExchangeEnvironmentName (Connect-ExchangeOnline reference); O365Default is the default.
    if ($Settings.Contains('ExchangeEnvironmentName') -and $Settings.ExchangeEnvironmentName -and $Settings.ExchangeEnvironmentName -ne 'O365Default') {
        $parameters.ExchangeEnvironmentName = $Settings.ExchangeEnvironmentName
    }
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
            $parameters.AccessToken = Get-UcxExchangeAccessToken -Organization $Settings.Organization -ClientId $Settings.AutomationAppId -ClientSecret $Settings.ClientSecret -AuthorityBase $Settings.AuthorityBase -Scope $Settings.ExchangeScope
            $parameters.Organization = $Settings.Organization
        }
        'accessToken' {
            $parameters.AccessToken = $Settings.AccessToken
            # A delegated token belongs to an admin user; an app-only token names the organization instead.
            if ($Settings.AdminUpn) { $parameters.UserPrincipalName = $Settings.AdminUpn } else { $parameters.Organization = $Settings.Organization }
        }
        'managedIdentity' {
            $parameters.ManagedIdentity = $true
            # A user-assigned identity is named by its client id (Connect-ExchangeOnline reference, -ManagedIdentityAccountId).
            if ($Settings.Contains('ManagedIdentityAccountId') -and $Settings.ManagedIdentityAccountId) { $parameters.ManagedIdentityAccountId = $Settings.ManagedIdentityAccountId }
            $parameters.Organization = $Settings.Organization
        }
        # Only the doctor signs in interactively; the Exchange steps never run with a person at the keyboard.
        'interactive' {
            $parameters.UserPrincipalName = $Settings.AdminUpn
            # Module 3.7.0+ signs in through the Web Account Manager, which needs a window the doctor's hidden pwsh lacks;
            # 3.7.2 added -DisableWAM (Microsoft Learn, "Resolve issues in Exchange Online PowerShell module after WAM integration").
            $connect = Get-Command -Name Connect-ExchangeOnline -ErrorAction SilentlyContinue
            if ($connect -and $connect.Parameters.ContainsKey('DisableWAM')) { $parameters.DisableWAM = $true }
        }
    }
    $parameters
}

function Connect-UcxExchangeOnline {
    <#
    .SYNOPSIS
        Opens the one Exchange Online session of a run, in the mode chosen by exchangeAuth, without a banner.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)] [System.Collections.IDictionary] $Settings)
    $parameters = Get-UcxConnectParameter -Settings $Settings
    $tokenLifetime = $null
    if ($Settings.Auth -eq 'clientSecret') { $tokenLifetime = $script:LastTokenLifetimeSeconds }
    if (-not $PSCmdlet.ShouldProcess($Settings.Organization, "Connect-ExchangeOnline ($($Settings.Auth))")) { return }
    try {
        Invoke-UcxQuietly { Connect-ExchangeOnline @parameters -ErrorAction Stop }
        $script:ExchangeSession = @{ Settings = $Settings; Clock = [System.Diagnostics.Stopwatch]::StartNew(); WaitedAtConnectMs = [double]$script:RetryBudget.WaitedMs; TokenLifetimeSeconds = $tokenLifetime }
    } catch {
        $firstLine = (Hide-UcxSecret $_.Exception.Message) -split "`r?`n" | Select-Object -First 1
        throw (New-UcxFailure -ErrorId 'UcxMailExchange.ConnectFailed' -Message (
                "Could not connect to Exchange Online for $($Settings.Organization) with exchangeAuth $($Settings.Auth) ($firstLine); " +
                'check cloud and the exchange* config keys, and that the automation identity holds Exchange.ManageAsApp and the Exchange Administrator role.'))
    }
}

function Get-UcxRunElapsedMs {
    <#
    .SYNOPSIS
        Nominal milliseconds since the session connected: real time, with scaled test sleeps counted at full length.
    #>
    [CmdletBinding()]
    [OutputType([double])]
    param()
    $session = $script:ExchangeSession
    $waited = [double]$script:RetryBudget.WaitedMs - [double]$session.WaitedAtConnectMs
    [double]$session.Clock.ElapsedMilliseconds + $waited * (1.0 - [double]$script:RetryBudget.TimeScale)
}

function Update-UcxExchangeSession {
    <#
    .SYNOPSIS
        Reconnects with a fresh client-credentials token when the current one is within five minutes of expiry.
    .DESCRIPTION
        Only clientSecret mode fetches its own token (about an hour long); waits may last up to two hours. Other modes let
        the Exchange module renew, or (accessToken) were checked up front. Does nothing outside an automated run.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param()
    $session = $script:ExchangeSession
    if ($null -eq $session -or $null -eq $session.TokenLifetimeSeconds) { return }
    if ((Get-UcxRunElapsedMs) -lt ([double]$session.TokenLifetimeSeconds - $script:TokenRenewMarginSeconds) * 1000) { return }
    if (-not $PSCmdlet.ShouldProcess($session.Settings.Organization, 'Reconnect with a fresh token')) { return }
    Write-UcxLog 'the Exchange Online token is about to expire: reconnecting with a fresh one'
    try { Invoke-UcxQuietly { Disconnect-ExchangeOnline -Confirm:$false -ErrorAction Stop } } catch { Write-UcxLog ('disconnect failed: ' + $_.Exception.Message) }
    Connect-UcxExchangeOnline -Settings $session.Settings
}

function Get-UcxRequiredCmdlet {
    <#
    .SYNOPSIS
        The Exchange cmdlets a run may call: the CommandName list it connects with, checked after connecting.
    #>
    [CmdletBinding()]
    [OutputType([string[]])]
    param(
        [Parameter(Mandatory)] [ValidateSet('apply', 'remove')] [string] $Operation,
        [Parameter(Mandatory)] [System.Collections.IDictionary] $Settings,
        [System.Collections.IDictionary] $PreviousState
    )
    $names = New-Object System.Collections.Generic.List[string]
    foreach ($name in @('Get-ServicePrincipal', 'Get-MailboxPermission', 'Get-CASMailbox')) { $names.Add($name) }
    $hasOrganization = $null -ne $PreviousState -and $PreviousState['previous'].Contains('organization')
    if ($Operation -eq 'apply') {
        foreach ($name in @('New-ServicePrincipal', 'Set-ServicePrincipal', 'Add-MailboxPermission')) { $names.Add($name) }
        if ($Settings.SmtpAuth -ne 'unchanged' -or $Settings.MailboxProtocols -eq 'enable' -or $null -ne $PreviousState) { $names.Add('Set-CASMailbox') }
        if ($Settings.SmtpAuth -eq 'organization' -or $hasOrganization) { $names.Add('Get-TransportConfig'); $names.Add('Set-TransportConfig') }
        # A previous run may leave grants to revoke (mailboxes removed from config, or a new app).
        if ($null -ne $PreviousState) { $names.Add('Remove-MailboxPermission'); $names.Add('Remove-ServicePrincipal') }
    } else {
        foreach ($name in @('Set-ServicePrincipal', 'Remove-ServicePrincipal', 'Remove-MailboxPermission', 'Set-CASMailbox')) { $names.Add($name) }
        if ($hasOrganization) { $names.Add('Get-TransportConfig'); $names.Add('Set-TransportConfig') }
    }
    , @($names | Select-Object -Unique)
}

function Assert-UcxCmdletAvailable {
    <#
    .SYNOPSIS
        Fails, before any write, when a cmdlet the run needs is absent from the session because no role grants it.
    .DESCRIPTION
        After connect, RBAC decides which cmdlets exist in the session; a missing one would later answer "The term 'X' is
        not recognized", which is a missing role, never something to wait for.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string[]] $Name)
    $missing = @($Name | Where-Object { $null -eq (Get-Command -Name $_ -CommandType Function, Cmdlet, Alias -ErrorAction SilentlyContinue) })
    if ($missing.Count -eq 0) { return }
    $grants = @($missing | ForEach-Object { "$_ (management role '$($script:CmdletRole[$_])')" })
    throw (New-UcxFailure -ErrorId 'UcxMailExchange.MissingRole' -Message (
            "The Exchange Online session lacks $($grants -join ', '), so the connecting identity's Exchange roles do not grant " +
            'them and ucx-mail changed nothing; assign those management roles (or the Exchange Administrator Entra role) to the ' +
            'automation identity and run `pulumi up` again.'))
}
