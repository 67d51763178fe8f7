# Original: the read-only record of the tenant as ucx-mail first found it, taken by its own command before any write.
# The command provider keeps stdout only when a step succeeds, so a failed writer leaves no record of its writes; this
# record is stored first, so ownership of a grant or a setting never depends on the answer of a cmdlet in a later run.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$script:OriginalSchema = 'ucx-mail/exchange-original/v1'
# A mailbox's entry is one array in this order, so the record stays within the room config.ts reserves per mailbox.
$script:OriginalEntryNames = @($script:MailboxSettingNames) + @('fullAccess')

function ConvertFrom-UcxOriginalEntry {
    <#
    .SYNOPSIS
        Turns a mailbox's entry of the original record ([smtp, imap, pop, fullAccess]) into a table by setting name.
    #>
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param([AllowNull()] [object[]] $Entry)
    $table = [ordered]@{}
    for ($index = 0; $index -lt $script:OriginalEntryNames.Count -and $index -lt @($Entry).Count; $index++) { $table[$script:OriginalEntryNames[$index]] = $Entry[$index] }
    $table
}

function ConvertFrom-UcxOriginalRecord {
    <#
    .SYNOPSIS
        Reads the JSON line of the original-state record (UCX_EXCHANGE_ORIGINAL, or PULUMI_COMMAND_STDOUT of the record
        command itself), or $null when empty. Anything else is bad input, never guessed at.
    #>
    [CmdletBinding()]
    param([AllowNull()] [AllowEmptyString()] [string] $Json, [Parameter(Mandatory)] [string] $Source)
    if ([string]::IsNullOrWhiteSpace($Json)) { return $null }
    $parsed = Find-UcxSchemaLine -Text $Json -Schema @($script:OriginalSchema)
    if ($null -ne $parsed) {
        if ($null -eq $parsed['mailboxes']) { $parsed['mailboxes'] = [ordered]@{} }
        return $parsed
    }
    throw (New-UcxFailure -ErrorId 'UcxMailExchange.BadPreviousState' -Message (
            "$Source does not hold the JSON line of ucx-mail's original-state record ($script:OriginalSchema), so it is unclear " +
            'what the tenant looked like before ucx-mail; if that state was edited by hand, remove the command resource with ' +
            '`pulumi state delete <urn>` and run `pulumi up` again.'))
}

function Get-UcxExchangeOriginal {
    <#
    .SYNOPSIS
        Records, without writing anything, what ucx-mail may later change: the principal, each mailbox's FullAccess for
        it and its CAS settings, and (organization scope) the tenant's SMTP AUTH setting.
    .DESCRIPTION
        A value already in the previous record is kept, because ucx-mail may have changed the tenant since: the record only
        grows with what is new (a mailbox added to the config, a new app, organization scope). Mailboxes that left the
        configuration are dropped; the writer's own record still holds what it must restore for them.
    .OUTPUTS
        The record, an ordered hashtable that the entry script prints as one JSON line.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $AppId,
        [Parameter(Mandatory)] [string] $ServicePrincipalObjectId,
        [Parameter(Mandatory)] [string[]] $Mailboxes,
        [Parameter(Mandatory)] [ValidateSet('mailbox', 'organization', 'unchanged')] [string] $SmtpAuth,
        [System.Collections.IDictionary] $Previous
    )
    $ServicePrincipalObjectId = $ServicePrincipalObjectId.ToLowerInvariant()
    $samePrincipal = $null -ne $Previous -and [string]$Previous['appId'] -eq $AppId -and ([string]$Previous['servicePrincipalObjectId']).ToLowerInvariant() -eq $ServicePrincipalObjectId
    $record = [ordered]@{
        schema = $script:OriginalSchema; appId = $AppId; servicePrincipalObjectId = $ServicePrincipalObjectId
        servicePrincipal = $null; organization = $null; mailboxes = [ordered]@{}
    }
    $principalKey = @()
    $needsPrincipal = -not $samePrincipal -or @($Mailboxes | Where-Object { -not $Previous['mailboxes'].Contains($_) }).Count -gt 0
    if ($samePrincipal) { $record.servicePrincipal = $Previous['servicePrincipal'] }
    if ($needsPrincipal) {
        $all = Get-UcxExchangeServicePrincipalList
        $principal = Get-UcxExchangeServicePrincipal -AppId $AppId -All $all
        if (-not $samePrincipal) {
            $record.servicePrincipal = [ordered]@{ present = ($null -ne $principal); displayName = $(if ($principal) { [string]$principal.DisplayName } else { $null }) }
        }
        # A principal that another object id holds is not ucx-mail's: its grants are not the ones ucx-mail makes.
        $found = Get-UcxPrincipalObjectId -Principal $principal
        if ($null -ne $principal -and ($null -eq $found -or $found -eq $ServicePrincipalObjectId)) {
            $otherIds = @()
            if ($principal.PSObject.Properties['Identity']) { $otherIds += [string]$principal.Identity }
            $principalKey = Get-UcxPrincipalKey -AppId $AppId -ObjectId $ServicePrincipalObjectId -Name @([string]$principal.DisplayName) -All $all -OtherId $otherIds
        }
    }
    foreach ($mailbox in $Mailboxes) {
        $entry = [ordered]@{}
        $kept = $(if ($null -ne $Previous -and $Previous['mailboxes'].Contains($mailbox)) { ConvertFrom-UcxOriginalEntry $Previous['mailboxes'][$mailbox] } else { $null })
        if ($null -ne $kept) { foreach ($setting in $script:MailboxSettingNames) { if ($kept.Contains($setting)) { $entry[$setting] = $kept[$setting] } } }
        if (@($script:MailboxSettingNames | Where-Object { -not $entry.Contains($_) }).Count -gt 0) {
            $current = Get-UcxCasMailboxSetting -Mailbox $mailbox
            foreach ($setting in $script:MailboxSettingNames) { if (-not $entry.Contains($setting)) { $entry[$setting] = $current[$setting] } }
        }
        if ($samePrincipal -and $null -ne $kept -and $kept.Contains('fullAccess')) { $entry['fullAccess'] = [bool]$kept['fullAccess'] }
        else { $entry['fullAccess'] = Test-UcxFullAccess -Mailbox $mailbox -PrincipalKey $principalKey }
        $record.mailboxes[$mailbox] = @($script:OriginalEntryNames | ForEach-Object { $entry[$_] })
    }
    if ($null -ne $Previous -and $null -ne $Previous['organization']) { $record.organization = $Previous['organization'] }
    elseif ($SmtpAuth -eq 'organization') { $record.organization = [ordered]@{ smtpClientAuthenticationDisabled = Get-UcxTransportSmtpSetting } }
    $record
}

function Get-UcxOriginalCmdlet {
    <#
    .SYNOPSIS
        The read-only cmdlets the record step connects with (-CommandName): the transport read only in organization scope.
    #>
    [CmdletBinding()]
    [OutputType([string[]])]
    param([Parameter(Mandatory)] [System.Collections.IDictionary] $Settings)
    $names = @('Get-ServicePrincipal', 'Get-MailboxPermission', 'Get-CASMailbox')
    if ($Settings.SmtpAuth -eq 'organization') { $names += 'Get-TransportConfig' }
    , $names
}
