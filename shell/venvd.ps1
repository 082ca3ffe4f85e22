# venvd hook for PowerShell (pwsh 7 and Windows PowerShell 5.1). Install with this
# line in your $PROFILE:
#     Invoke-Expression (& venvd hook pwsh | Out-String)
#
# It runs before each prompt (the prompt function is wrapped; the prompt that was
# there still prints what it printed) and, where PowerShell has it (7.2+), from
# LocationChangedAction, so a `cd` inside a script line is seen at once. `cd` is
# never overridden. A prompt where the location and $env:VIRTUAL_ENV are unchanged
# and no watched file is newer than the stamp returns using .NET calls only: no
# process is started. Otherwise `venvd export pwsh` prints `$env:` assignments,
# which are collected in full and then applied with Ctrl-C held off, so an
# environment is never half applied. $LASTEXITCODE and $? stay the user's.
#
# Kept to ASCII and to Windows PowerShell 5.1 syntax (no ??, no ?:, no && or ||).
# Everything is defined global: because this text is run by Invoke-Expression in
# whatever scope the profile line happens to be in.

$global:_venvd_command = @(@VENVD_COMMAND@)
$global:_VENVD_DIRS = @VENVD_DIRS@

# `venvd on` / `venvd off` change this shell, so they run through the hook;
# everything else is the venvd command itself.
function global:venvd {
    # With more arguments (`venvd off --help`) it is the command's: help, or a usage error.
    if ($args.Count -eq 1 -and ([string]$args[0] -ceq 'on' -or [string]$args[0] -ceq 'off')) {
        _venvd_export ([string]$args[0])
        return
    }
    $venvd_launcher = $global:_venvd_args
    # For `venvd doctor`: in the environment only while the command runs.
    $env:_VENVD_HOOK='pwsh'; try { & $global:_venvd_exe @venvd_launcher @args } finally { Remove-Item Env:_VENVD_HOOK -ErrorAction SilentlyContinue }
}

function global:_venvd_export {
    param([string]$Mode)
    $venvd_argv = @($global:_venvd_args) + @('export', 'pwsh')
    if ($Mode) { $venvd_argv += "--$Mode" }
    # The session's state reaches the export through the environment, for this call
    # only. PWD too: pwsh never exports its location (the process gets it as its
    # working directory; PWD keeps the path as the user spelled it).
    $venvd_pass = [ordered]@{
        'PWD' = $ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath
        '_VENVD_DIRS' = [string]$global:_VENVD_DIRS
        '_VENVD_OFF' = [string]$global:_VENVD_OFF
        '_VENVD_TOLD' = [string]$global:_VENVD_TOLD
    }
    $venvd_saved = @{}
    foreach ($venvd_name in $venvd_pass.Keys) {
        $venvd_saved[$venvd_name] = [Environment]::GetEnvironmentVariable($venvd_name)
        [Environment]::SetEnvironmentVariable($venvd_name, $venvd_pass[$venvd_name])
    }
    $venvd_status = Get-Variable -Name LASTEXITCODE -Scope Global -ErrorAction Ignore
    $venvd_code = ''
    try {
        # The whole output is collected before anything is applied.
        $venvd_out = & $global:_venvd_exe @venvd_argv
        if ($LASTEXITCODE -eq 0) { $venvd_code = @($venvd_out) -join "`n" }
    } catch {
        $Host.UI.WriteErrorLine("venvd: cannot run $($global:_venvd_exe): $($_.Exception.Message)")
    } finally {
        foreach ($venvd_name in $venvd_saved.Keys) {
            [Environment]::SetEnvironmentVariable($venvd_name, $venvd_saved[$venvd_name])
        }
        if ($null -ne $venvd_status) {
            $global:LASTEXITCODE = $venvd_status.Value
        } else {
            Remove-Variable -Name LASTEXITCODE -Scope Global -ErrorAction Ignore
        }
    }
    if (-not $venvd_code) { return }
    # Ctrl-C is taken as input while the assignments run. Without a console (ISE,
    # a redirected host) there is nothing to hold off and the code just runs.
    $venvd_ctrl_c = $null
    try {
        $venvd_ctrl_c = [Console]::TreatControlCAsInput
        [Console]::TreatControlCAsInput = $true
    } catch { }
    try {
        Invoke-Expression $venvd_code
    } catch {
        $Host.UI.WriteErrorLine("venvd: $($_.Exception.Message)")
    } finally {
        if ($null -ne $venvd_ctrl_c) {
            try { [Console]::TreatControlCAsInput = $venvd_ctrl_c } catch { }
        }
    }
}

# Called by the `deactivate` venvd defines while one of its venvs is active.
# Activate.ps1 calls `deactivate -NonDestructive` before taking over (an activate
# script for POSIX shells says `deactivate nondestructive`): then venvd only steps
# back; a plain `deactivate` turns the project off like `venvd off`.
function global:_venvd_deactivate {
    $venvd_mode = 'off'
    foreach ($venvd_arg in $args) {
        if ([string]$venvd_arg -eq '-NonDestructive' -or [string]$venvd_arg -eq 'nondestructive') {
            $venvd_mode = 'undo'
        }
    }
    _venvd_export $venvd_mode
}

function global:_venvd_hook {
    $venvd_here = $ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath
    $venvd_active = [string][Environment]::GetEnvironmentVariable('VIRTUAL_ENV')
    $venvd_stamp = [string]$global:_VENVD_STAMP
    $venvd_same = $venvd_here -ceq [string]$global:_VENVD_PWD -and $venvd_active -ceq [string]$global:_VENVD_VE
    if ($venvd_same -and $venvd_stamp -and [System.IO.File]::Exists($venvd_stamp)) {
        try {
            # Each watched path has a stamp with exactly the mtime it had ('' when it was
            # missing): any move of its mtime, backwards too (a file replaced by an older
            # copy, a checkout of an older blob), is a change. A path only venvd and the
            # venv's tools write (its stamp '-' and the stamp's path) only moves forward:
            # newer than the newest stamp is a change.
            $venvd_newest = [System.IO.File]::GetLastWriteTimeUtc($venvd_stamp)
            $venvd_stamps = @($global:_VENVD_STAMPS)
            $venvd_i = 0
            foreach ($venvd_file in $global:_VENVD_WATCH) {
                $venvd_own = ''
                if ($venvd_i -lt $venvd_stamps.Count) { $venvd_own = [string]$venvd_stamps[$venvd_i] }
                $venvd_i++
                $venvd_dir = [System.IO.Directory]::Exists($venvd_file)
                $venvd_exists = $venvd_dir -or [System.IO.File]::Exists($venvd_file)
                if (-not $venvd_own) {
                    if ($venvd_exists) { _venvd_export; return }
                    continue
                }
                if (-not $venvd_exists) { _venvd_export; return }
                if ($venvd_dir) {
                    $venvd_time = [System.IO.Directory]::GetLastWriteTimeUtc($venvd_file)
                } else {
                    $venvd_time = [System.IO.File]::GetLastWriteTimeUtc($venvd_file)
                }
                if ($venvd_own.StartsWith('-')) {
                    if ($venvd_time -gt $venvd_newest) { _venvd_export; return }
                    continue
                }
                if (-not [System.IO.File]::Exists($venvd_own)) { _venvd_export; return }
                if ($venvd_time -ne [System.IO.File]::GetLastWriteTimeUtc($venvd_own)) {
                    _venvd_export
                    return
                }
            }
            return
        } catch { }
    }
    _venvd_export
}

# The venv's name before the prompt, opt-in (`prompt = true` in the user config): while
# one of venvd's venvs is active, the prompt wrapper below writes "(name) " to the host
# before the user's prompt prints its text, as Activate.ps1 does (Write-Host), unless
# $env:VIRTUAL_ENV_DISABLE_PROMPT is non-empty (activate's rule). The user's prompt
# function is never changed, so there is nothing to undo: leaving, `venvd off` and
# `deactivate` just stop the prefix. `venvd hook` embeds the setting and every
# `venvd export` says it again. Prompt tools: starship ($env:STARSHIP_SHELL) shows the
# venv itself and is left alone (oh-my-posh sets VIRTUAL_ENV_DISABLE_PROMPT).
$global:_VENVD_SHOW_PROMPT = @VENVD_PROMPT@
function global:_venvd_prompt {
    if (-not [string]$global:_VENVD_SHOW_PROMPT) { return }
    $venvd_active = [string][Environment]::GetEnvironmentVariable('VIRTUAL_ENV')
    if (-not $venvd_active -or $venvd_active -cne [string]$global:_VENVD_VE) { return }
    if (-not [Environment]::GetEnvironmentVariable('VENVD_DIFF')) { return }
    if ([Environment]::GetEnvironmentVariable('VIRTUAL_ENV_DISABLE_PROMPT')) { return }
    if ([Environment]::GetEnvironmentVariable('STARSHIP_SHELL')) { return }
    # The name is data here: nothing in it is expanded.
    $venvd_name = [string][Environment]::GetEnvironmentVariable('VIRTUAL_ENV_PROMPT')
    Write-Host -NoNewline -Object ('(' + $venvd_name + ') ')
}

# Installed once: running this hook again (a reloaded profile) replaces venvd's
# own handler and keeps the user's prompt, never wrapping venvd's wrapper.
& {
    # Defined up front so a profile under Set-StrictMode can read them; a reloaded
    # profile keeps their values (a project turned off stays off).
    foreach ($venvd_name in '_VENVD_PWD', '_VENVD_VE', '_VENVD_STAMP', '_VENVD_OFF', '_VENVD_TOLD') {
        if ($null -eq (Get-Variable -Name $venvd_name -Scope Global -ErrorAction Ignore)) {
            Set-Variable -Name $venvd_name -Scope Global -Value ''
        }
    }
    foreach ($venvd_name in '_VENVD_WATCH', '_VENVD_STAMPS') {
        if ($null -eq (Get-Variable -Name $venvd_name -Scope Global -ErrorAction Ignore)) {
            Set-Variable -Name $venvd_name -Scope Global -Value @()
        }
    }
    $global:_venvd_exe = $global:_venvd_command[0]
    $global:_venvd_args = @($global:_venvd_command | Select-Object -Skip 1)

    $venvd_prompt = Get-Item -Path Function:\prompt -ErrorAction Ignore
    if ($null -eq $venvd_prompt -or -not $venvd_prompt.ScriptBlock.ToString().Contains('_venvd_hook')) {
        if ($null -eq $venvd_prompt) {
            $global:_venvd_user_prompt = $null
        } else {
            $global:_venvd_user_prompt = $venvd_prompt.ScriptBlock
        }
        function global:prompt {
            $venvd_ok = $?
            $null = _venvd_hook  # nothing of venvd's may become part of the prompt text
            _venvd_prompt  # "(name) " before the prompt, opt-in (prompt = true); written to the host
            # $? is read-only: a command that fails quietly (or succeeds) sets it back
            # to what the user's last command left, for the wrapped prompt and after it.
            if ($null -eq $global:_venvd_user_prompt) {
                "PS $($ExecutionContext.SessionState.Path.CurrentLocation)$('>' * ($NestedPromptLevel + 1)) "
            } else {
                if (-not $venvd_ok) { Write-Error -Message 'venvd' -ErrorAction Ignore }
                & $global:_venvd_user_prompt
            }
            if ($venvd_ok) { $venvd_ok = $true } else { Write-Error -Message 'venvd' -ErrorAction Ignore }
        }
    }

    # LocationChangedAction is a delegate other tools use too: venvd's handler is
    # combined with whatever is there, and a previous venvd handler is taken out first.
    $venvd_invoke = $ExecutionContext.SessionState.InvokeCommand
    if ($null -ne $venvd_invoke.PSObject.Properties['LocationChangedAction']) {
        $venvd_action = $venvd_invoke.LocationChangedAction
        $venvd_old = Get-Variable -Name _venvd_location_handler -Scope Global -ErrorAction Ignore
        if ($null -ne $venvd_old -and $null -ne $venvd_old.Value -and $null -ne $venvd_action) {
            $venvd_action = [Delegate]::Remove($venvd_action, $venvd_old.Value)
        }
        $global:_venvd_location_handler = [EventHandler[System.Management.Automation.LocationChangedEventArgs]] { $null = _venvd_hook }
        $venvd_invoke.LocationChangedAction = [Delegate]::Combine($venvd_action, $global:_venvd_location_handler)
    }
}
