# venvd hook for PowerShell (pwsh 7 and Windows PowerShell 5.1). Install with this
# line in your $PROFILE:
#     Invoke-Expression (& venvd hook pwsh | Out-String)
#
# It runs before each prompt (the prompt function is wrapped; the prompt that was
# there still prints what it printed) and, where PowerShell has it (7.2+), from
# LocationChangedAction, so a `cd` inside a script line is seen at once. `cd` is
# never overridden. A prompt where the location (or the project it is in) and
# $env:VIRTUAL_ENV are unchanged and no watched path moved returns using .NET calls
# only: no process is started. So does entering or leaving a project the core activated
# before in this session (or saved for new ones), from the activation cache, while
# everything that activation depends on is as it was. Otherwise `venvd export pwsh`
# prints `$env:` assignments, which are collected in full and then applied with Ctrl-C
# held off, so an environment is never half applied. $LASTEXITCODE and $? stay the user's.
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

# Ctrl-C is taken as input while venvd applies a change, so an environment is never half
# applied; what it was is given back after. Without a console (ISE, a redirected host)
# there is nothing to hold off ($null) and the change just runs.
function global:_venvd_hold_ctrl_c {
    try {
        $venvd_was = [Console]::TreatControlCAsInput
        [Console]::TreatControlCAsInput = $true
        return $venvd_was
    } catch {
        return $null
    }
}

function global:_venvd_release_ctrl_c {
    param($Was)
    if ($null -ne $Was) {
        try { [Console]::TreatControlCAsInput = $Was } catch { }
    }
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
            if ($null -eq $venvd_saved[$venvd_name]) {
                # Not SetEnvironmentVariable: PowerShell hands it '' for $null, which pwsh 7.5+ keeps.
                Remove-Item -LiteralPath ('Env:' + $venvd_name) -ErrorAction Ignore
            } else {
                [Environment]::SetEnvironmentVariable($venvd_name, $venvd_saved[$venvd_name])
            }
        }
        if ($null -ne $venvd_status) {
            $global:LASTEXITCODE = $venvd_status.Value
        } else {
            Remove-Variable -Name LASTEXITCODE -Scope Global -ErrorAction Ignore
        }
    }
    if (-not $venvd_code) { return }
    $venvd_ctrl_c = _venvd_hold_ctrl_c  # the assignments run whole: all of them or none
    try {
        Invoke-Expression $venvd_code
    } catch {
        $Host.UI.WriteErrorLine("venvd: $($_.Exception.Message)")
    } finally {
        _venvd_release_ctrl_c $venvd_ctrl_c
    }
    _venvd_remember
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

# The activation cache (src/venvd/activation_cache.py): each export hands over, in
# $global:_VENVD_ENTRY, the facts of a plain activation of its project; they are filed here,
# in this session's memory (no file is read per location change), under the project's root
# (a case-sensitive table: the core compares paths exactly), and entering that root again
# applies them with .NET calls while every path they depend on has its stamp and every
# variable they read its value. $global:_VENVD_UNDO is the undo of the record in force, so
# leaving is .NET calls too. `venvd hook` appends the entries the core saved, each followed
# by a call of this function, so a new session's first entry starts no process either.
function global:_venvd_remember {
    try {
        $venvd_entry = $global:_VENVD_ENTRY
        if ($null -eq $venvd_entry) { return }
        $venvd_entry = @($venvd_entry)
        if ($venvd_entry.Count -eq 0) { return }
        if ($global:_venvd_cache -isnot [System.Collections.Hashtable]) {
            $global:_venvd_cache = New-Object System.Collections.Hashtable ([StringComparer]::Ordinal)
        }
        $venvd_root = [string]$venvd_entry[0]
        if ($venvd_entry.Count -eq 1) {
            $global:_venvd_cache.Remove($venvd_root)  # [root]: forget what is filed under it
        } elseif ($venvd_entry.Count -ge 10) {
            $global:_venvd_cache[$venvd_root] = [string[]]$venvd_entry
            $global:_VENVD_NOWHERE = [string]$venvd_entry[7]  # the stamp of "no project"
        }
    } catch { }
    $global:_VENVD_ENTRY = @()
}

# Is $Path spelled as the core's walk spells it (os.path.normpath)? Anything else (a
# trailing separator, `.` or `..`, a doubled separator) goes to the core.
function global:_venvd_plain_path {
    param([string]$Path)
    if ([System.IO.Path]::DirectorySeparatorChar -eq [char]92) {
        # Windows: backslashes only, as GetFullPath spells it, no trailing one but a drive root's.
        if (-not $Path -or $Path.Contains('/')) { return $false }
        if ([System.IO.Path]::GetFullPath($Path) -cne $Path) { return $false }
        return (-not $Path.EndsWith('\', [StringComparison]::Ordinal) -or $Path.Length -eq 3)
    }
    if (-not $Path.StartsWith('/', [StringComparison]::Ordinal)) { return $false }
    if ($Path -ceq '/') { return $true }
    $venvd_p = $Path + '/'
    return (-not ($venvd_p.Contains('//') -or $venvd_p.Contains('/./') -or $venvd_p.Contains('/../')))
}

# Does directory $Dir hold a project marker (src/venvd/project.py)? The fixed names are
# filled in by `venvd hook`; .venv counts as a directory, .python-version not in $HOME
# (~/.python-version alone is pyenv's; HOME as the core reads it, from the environment),
# and requirements*.txt and pylock.*.toml are matched exactly (ordinal) after .NET's
# pattern, whose rules differ between platforms.
$global:_venvd_markers = @(@VENVD_MARKERS@)
function global:_venvd_has_marker {
    param([string]$Dir)
    foreach ($venvd_m in $global:_venvd_markers) {
        $venvd_p = [System.IO.Path]::Combine($Dir, $venvd_m)
        if ([System.IO.File]::Exists($venvd_p) -or [System.IO.Directory]::Exists($venvd_p)) { return $true }
    }
    if ([System.IO.Directory]::Exists([System.IO.Path]::Combine($Dir, '.venv'))) { return $true }
    $venvd_p = [System.IO.Path]::Combine($Dir, '.python-version')
    if (([System.IO.File]::Exists($venvd_p) -or [System.IO.Directory]::Exists($venvd_p)) -and
        $Dir -cne [string][Environment]::GetEnvironmentVariable('HOME')) { return $true }
    if (_venvd_has_named $Dir 'requirements' '.txt') { return $true }
    return (_venvd_has_named $Dir 'pylock.' '.toml')
}

function global:_venvd_has_named {
    param([string]$Dir, [string]$Prefix, [string]$Suffix)
    try {
        foreach ($venvd_f in [System.IO.Directory]::EnumerateFileSystemEntries($Dir, $Prefix + '*')) {
            $venvd_n = [System.IO.Path]::GetFileName($venvd_f)
            if ($venvd_n.StartsWith($Prefix, [StringComparison]::Ordinal) -and
                $venvd_n.EndsWith($Suffix, [StringComparison]::Ordinal)) { return $true }
        }
    } catch { }  # unreadable: no markers here, as the core reads it
    return $false
}

# The walk from $Here up to its nearest marker directory, once per hook run (the no-op
# test and the cache both use it), into $global:_venvd_walked: Found is that directory
# ('' for none), Chain the directories below it, Same whether $Here is still in the
# project in force ($global:_VENVD_ROOT, where the walk stops) or still in none.
function global:_venvd_walk {
    param([string]$Here)
    $venvd_root = [string]$global:_VENVD_ROOT
    $venvd_chain = New-Object 'System.Collections.Generic.List[string]'
    $venvd_d = $Here
    $venvd_same = $false
    while ($true) {
        if ($venvd_root -and $venvd_d -ceq $venvd_root) { $venvd_same = $true; break }
        if (_venvd_has_marker $venvd_d) { break }
        $venvd_up = [System.IO.Path]::GetDirectoryName($venvd_d)
        if ([string]::IsNullOrEmpty($venvd_up)) {
            $venvd_d = ''
            $venvd_chain.Clear()  # outside any project only the location's markers matter
            $venvd_same = -not $venvd_root
            break
        }
        $venvd_chain.Add($venvd_d)
        $venvd_d = $venvd_up
    }
    $global:_venvd_walked = @{ For = $Here; Found = $venvd_d; Chain = $venvd_chain.ToArray(); Same = $venvd_same }
}

# Are the watched paths as they were? Each has a stamp with exactly the mtime it had ('':
# it was missing, so its appearing counts): any move of its mtime, backwards too (a file
# replaced by an older copy, a checkout of an older blob), is a change. A path only venvd
# and the venv's tools write (its stamp '-' and the stamp's path) only moves forward:
# newer than its own stamp is a change (not "newer than the newest stamp": a file dated
# in the future would hide it). A watched path gone is a change.
function global:_venvd_paths_ok {
    param($Paths, $Stamps, [DateTime]$Newest)
    $venvd_stamps = @($Stamps)
    $venvd_i = 0
    foreach ($venvd_file in $Paths) {
        $venvd_file = [string]$venvd_file
        $venvd_own = ''
        if ($venvd_i -lt $venvd_stamps.Count) { $venvd_own = [string]$venvd_stamps[$venvd_i] }
        $venvd_i++
        $venvd_dir = [System.IO.Directory]::Exists($venvd_file)
        $venvd_exists = $venvd_dir -or [System.IO.File]::Exists($venvd_file)
        if (-not $venvd_own) {
            if ($venvd_exists) { return $false }
            continue
        }
        if (-not $venvd_exists) { return $false }
        if ($venvd_dir) {
            $venvd_time = [System.IO.Directory]::GetLastWriteTimeUtc($venvd_file)
        } else {
            $venvd_time = [System.IO.File]::GetLastWriteTimeUtc($venvd_file)
        }
        if ($venvd_own.StartsWith('-', [StringComparison]::Ordinal)) {
            $venvd_own = $venvd_own.Substring(1)
            if (-not [System.IO.File]::Exists($venvd_own)) { return $false }
            if ($venvd_time -gt [System.IO.File]::GetLastWriteTimeUtc($venvd_own)) { return $false }
            continue
        }
        if (-not [System.IO.File]::Exists($venvd_own)) { return $false }
        if ($venvd_time -ne [System.IO.File]::GetLastWriteTimeUtc($venvd_own)) { return $false }
    }
    return $true
}

# Is a prompt a no-op: the same location, or the same project root (or still none), the
# same venv, no watched path changed, and no directory walked inside the project
# ($global:_VENVD_CHAIN) newer than the newest stamp (a marker made in one makes a project
# there)? Decided with .NET calls only: no process is started.
function global:_venvd_unchanged {
    $venvd_here = $ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath
    if ([string][Environment]::GetEnvironmentVariable('VIRTUAL_ENV') -cne [string]$global:_VENVD_VE) { return $false }
    $venvd_stamp = [string]$global:_VENVD_STAMP
    if (-not $venvd_stamp -or -not [System.IO.File]::Exists($venvd_stamp)) { return $false }
    if ($venvd_here -cne [string]$global:_VENVD_PWD) {
        if (-not (_venvd_plain_path $venvd_here)) { return $false }
        _venvd_walk $venvd_here
        if (-not $global:_venvd_walked.Same) { return $false }
        $global:_VENVD_PWD = $venvd_here
        $global:_VENVD_CHAIN = $global:_venvd_walked.Chain
    }
    # Outside a project, a marker appearing here (uv init, git clone .) makes one.
    if (-not [string]$global:_VENVD_ROOT -and (_venvd_has_marker $venvd_here)) { return $false }
    $venvd_newest = [System.IO.File]::GetLastWriteTimeUtc($venvd_stamp)
    if (-not (_venvd_paths_ok $global:_VENVD_WATCH $global:_VENVD_STAMPS $venvd_newest)) { return $false }
    foreach ($venvd_dir in $global:_VENVD_CHAIN) {
        $venvd_dir = [string]$venvd_dir
        if (-not [System.IO.Directory]::Exists($venvd_dir)) { return $false }
        if ([System.IO.Directory]::GetLastWriteTimeUtc($venvd_dir) -gt $venvd_newest) { return $false }
    }
    return $true
}

# Is directory $Path still the user's own (as bash's -O)? A directory another user put in
# place of the root, the venv or its bin (the same mtimes forged with touch -d) goes to the
# core, which refuses it. Windows: ACLs, not mode bits, are not checked (as the core's
# ownership.problem). Elsewhere the owner comes from pwsh's UnixStat (an lstat: a symbolic
# link is followed to its final target here, whose owner is the one that counts, as for the
# core's os.stat) and is compared with the uid `venvd hook` wrote into this text; a
# directory others can write is refused too. Where UnixStat is missing (older releases)
# nothing passes: the core decides, as it did before the cache.
$global:_VENVD_UID = @VENVD_UID@
function global:_venvd_owned {
    param([string]$Path)
    if ([System.IO.Path]::DirectorySeparatorChar -eq [char]92) { return $true }
    $venvd_uid = [string]$global:_VENVD_UID
    if (-not $venvd_uid) { return $false }
    $venvd_item = Microsoft.PowerShell.Management\Get-Item -LiteralPath $Path -Force -ErrorAction Ignore
    if ($null -eq $venvd_item) { return $false }
    $venvd_st = $venvd_item.PSObject.Properties['UnixStat']
    if ($null -eq $venvd_st -or $null -eq $venvd_st.Value) { return $false }
    if ([string]$venvd_st.Value.ItemType -ceq 'SymbolicLink') {
        try {
            $venvd_target = [System.IO.Directory]::ResolveLinkTarget($Path, $true)
        } catch {
            return $false
        }
        if ($null -eq $venvd_target) { return $false }
        $venvd_path = $venvd_target.FullName
        $venvd_item = Microsoft.PowerShell.Management\Get-Item -LiteralPath $venvd_path -Force -ErrorAction Ignore
        if ($null -eq $venvd_item) { return $false }
        $venvd_st = $venvd_item.PSObject.Properties['UnixStat']
        if ($null -eq $venvd_st -or $null -eq $venvd_st.Value) { return $false }
    }
    $venvd_st = $venvd_st.Value
    if ([string]$venvd_st.ItemType -cne 'Directory') { return $false }
    return ($venvd_st.UserId -eq [int]$venvd_uid -and ($venvd_st.Mode -band 2) -eq 0)
}

# $Path without the first entry equal to $Entry (envdiff.remove_path_entry); the others,
# empty ones included, untouched.
function global:_venvd_without_entry {
    param([string]$Path, [string]$Entry)
    $venvd_parts = New-Object 'System.Collections.Generic.List[string]'
    $venvd_parts.AddRange($Path.Split([char[]]@([System.IO.Path]::PathSeparator)))
    $venvd_i = $venvd_parts.IndexOf($Entry)
    if ($venvd_i -ge 0) { $venvd_parts.RemoveAt($venvd_i) }
    return [string]::Join([string][System.IO.Path]::PathSeparator, $venvd_parts.ToArray())
}

# Enter or leave a project as `venvd export` would, from the cache; $false: the core
# decides. The same rules as envdiff.env_change: leaving takes out the first PATH entry
# that is venvd's and restores the saved variables (unset: removed); entering saves the
# managed variables as the environment has them after that undo, prepends the bin dir and
# writes the record exactly as Record.encode does. Everything is decided first and applied
# last, with Ctrl-C held off, so a failed check changes nothing. Variable names are
# case-insensitive on Windows in .NET's environment calls, as in the core there.
function global:_venvd_cached {
    Set-StrictMode -Off  # (this function's scope only)
    $venvd_table = $global:_venvd_cache
    if ($venvd_table -isnot [System.Collections.Hashtable] -or [string]$global:_VENVD_OFF) { return $false }
    $venvd_active = [string][Environment]::GetEnvironmentVariable('VIRTUAL_ENV')
    if ($venvd_active -cne [string]$global:_VENVD_VE) { return $false }
    $venvd_diff = [string][Environment]::GetEnvironmentVariable('VENVD_DIFF')
    $venvd_undo = @()
    if ($null -ne $global:_VENVD_UNDO) { $venvd_undo = @($global:_VENVD_UNDO) }
    $venvd_managed = @('PIP_REQUIRE_VIRTUALENV', 'PYTHONHOME', 'VIRTUAL_ENV', 'VIRTUAL_ENV_PROMPT')
    if ($venvd_diff) {
        # venvd's record in force, and the venv it activated still the active one.
        if ($venvd_undo.Count -lt 3 -or ($venvd_undo.Count % 3) -ne 0) { return $false }
        if ($venvd_diff -cne [string]$venvd_undo[0] -or $venvd_active -cne [string]$venvd_undo[1]) { return $false }
        for ($venvd_i = 3; $venvd_i -lt $venvd_undo.Count; $venvd_i += 3) {
            if ($venvd_managed -cnotcontains [string]$venvd_undo[$venvd_i]) { return $false }
        }
    } elseif ($venvd_active) {
        return $false  # a venv venvd did not activate: the core leaves it alone
    }
    $venvd_here = $ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath
    if (-not (_venvd_plain_path $venvd_here) -or -not [System.IO.Directory]::Exists($venvd_here)) { return $false }
    $venvd_walked = $global:_venvd_walked
    if ($null -eq $venvd_walked -or [string]$venvd_walked.For -cne $venvd_here) {
        _venvd_walk $venvd_here
        $venvd_walked = $global:_venvd_walked
    }
    $venvd_d = [string]$venvd_walked.Found
    $venvd_chain = @($venvd_walked.Chain)
    if ($venvd_d -ceq [string]$global:_VENVD_ROOT) { return $false }  # the same project: something else changed
    $venvd_watch = New-Object 'System.Collections.Generic.List[string]'
    $venvd_stamps = New-Object 'System.Collections.Generic.List[string]'
    if ($venvd_d) {
        if (-not $venvd_table.ContainsKey($venvd_d)) { return $false }
        $venvd_e = @($venvd_table[$venvd_d])
        if ($venvd_e.Count -lt 10) { return $false }
        $venvd_stamp = [string]$venvd_e[6]
        if (-not $venvd_stamp -or -not [System.IO.File]::Exists($venvd_stamp)) { return $false }
        $venvd_newest = [System.IO.File]::GetLastWriteTimeUtc($venvd_stamp)
        if (-not (_venvd_owned $venvd_d)) { return $false }
        if (-not (_venvd_owned ([string]$venvd_e[1]))) { return $false }
        if (-not (_venvd_owned ([string]$venvd_e[2]))) { return $false }
        # The variables the decision read: set with the same value, or not set.
        $venvd_n = [int]$venvd_e[8]
        $venvd_w = 9 + 3 * $venvd_n  # where the watched paths start (M, then M paths, M stamps)
        if ($venvd_n -lt 0 -or $venvd_w -ge $venvd_e.Count) { return $false }
        for ($venvd_i = 9; $venvd_i -lt $venvd_w; $venvd_i += 3) {
            $venvd_v = [Environment]::GetEnvironmentVariable([string]$venvd_e[$venvd_i])
            if ([string]$venvd_e[$venvd_i + 1] -ceq '1') {
                if ($null -eq $venvd_v -or $venvd_v -cne [string]$venvd_e[$venvd_i + 2]) { return $false }
            } elseif ($null -ne $venvd_v) {
                return $false
            }
        }
        $venvd_m = [int]$venvd_e[$venvd_w]
        if ($venvd_m -lt 0 -or $venvd_w + 1 + 2 * $venvd_m -ne $venvd_e.Count) { return $false }
        for ($venvd_i = 0; $venvd_i -lt $venvd_m; $venvd_i++) {
            $venvd_watch.Add([string]$venvd_e[$venvd_w + 1 + $venvd_i])
            $venvd_stamps.Add([string]$venvd_e[$venvd_w + 1 + $venvd_m + $venvd_i])
        }
        if (-not (_venvd_paths_ok $venvd_watch $venvd_stamps $venvd_newest)) { return $false }
        foreach ($venvd_dir in $venvd_chain) {
            if ([System.IO.Directory]::GetLastWriteTimeUtc([string]$venvd_dir) -gt $venvd_newest) { return $false }
        }
        # Another project with the same venv (an absolute UV_PROJECT_ENVIRONMENT): the core
        # keeps the record in force as it is.
        if ($venvd_diff -and [string]$venvd_undo[1] -ceq [string]$venvd_e[1]) { return $false }
    } else {
        $venvd_nowhere = [string]$global:_VENVD_NOWHERE
        if (-not $venvd_nowhere -or -not [System.IO.File]::Exists($venvd_nowhere)) { return $false }
        $venvd_chain = @()
    }

    # Decided: the change, as the core's output would spell it ($null: removed).
    $venvd_env = @{}
    $venvd_path = [string][Environment]::GetEnvironmentVariable('PATH')
    if ($venvd_diff) {
        $venvd_path = _venvd_without_entry $venvd_path ([string]$venvd_undo[2])
        for ($venvd_i = 3; $venvd_i -lt $venvd_undo.Count; $venvd_i += 3) {
            $venvd_k = [string]$venvd_undo[$venvd_i]
            if ([string]$venvd_undo[$venvd_i + 1] -ceq '1') {
                $venvd_env[$venvd_k] = [string]$venvd_undo[$venvd_i + 2]
            } else {
                $venvd_env[$venvd_k] = $null
            }
        }
        $venvd_env['VENVD_DIFF'] = $null
        $venvd_env['PATH'] = $venvd_path
    }
    $venvd_new_undo = New-Object 'System.Collections.Generic.List[string]'
    if ($venvd_d) {
        $venvd_rec = [string]$venvd_e[5]
        $venvd_new_undo.Add('')
        $venvd_new_undo.Add([string]$venvd_e[1])
        $venvd_new_undo.Add([string]$venvd_e[2])
        foreach ($venvd_k in $venvd_managed) {  # sorted, as Record.encode writes them
            if ($venvd_k -ceq 'PIP_REQUIRE_VIRTUALENV' -and -not [string]$venvd_e[4]) { continue }
            if ($venvd_env.ContainsKey($venvd_k)) {
                $venvd_v = $venvd_env[$venvd_k]
            } else {
                $venvd_v = [Environment]::GetEnvironmentVariable($venvd_k)
            }
            $venvd_new_undo.Add($venvd_k)
            if ($null -eq $venvd_v) {
                $venvd_rec += ';$' + $venvd_k
                $venvd_new_undo.Add('0')
                $venvd_new_undo.Add('')
            } else {
                $venvd_v = [string]$venvd_v
                $venvd_q = $venvd_v.Replace('%', '%25').Replace(';', '%3B').Replace('=', '%3D')  # envdiff._escape
                $venvd_rec += ';$' + $venvd_k + '=' + $venvd_q
                $venvd_new_undo.Add('1')
                $venvd_new_undo.Add($venvd_v)
            }
        }
        $venvd_new_undo[0] = $venvd_rec
        $venvd_env['VIRTUAL_ENV'] = [string]$venvd_e[1]
        $venvd_env['VIRTUAL_ENV_PROMPT'] = [string]$venvd_e[3]
        $venvd_env['PYTHONHOME'] = $null
        if ([string]$venvd_e[4]) { $venvd_env['PIP_REQUIRE_VIRTUALENV'] = '1' }
        if ($venvd_path) {
            $venvd_path = [string]$venvd_e[2] + [string][System.IO.Path]::PathSeparator + $venvd_path
        } else {
            $venvd_path = [string]$venvd_e[2]
        }
        $venvd_env['PATH'] = $venvd_path
        $venvd_env['VENVD_DIFF'] = $venvd_rec
    }

    # Applied: only what changes, as the core's statements would (a variable that already
    # has its value is left as it is), spelled as they are: `$env:NAME = value` (which for ''
    # removes the variable before pwsh 7.5 and keeps it empty since) and `Remove-Item`
    # (PowerShell hands a .NET method '' for $null: SetEnvironmentVariable cannot remove).
    $venvd_ctrl_c = _venvd_hold_ctrl_c
    try {
        foreach ($venvd_k in @($venvd_env.Keys)) {
            $venvd_v = $venvd_env[$venvd_k]
            $venvd_now = [Environment]::GetEnvironmentVariable($venvd_k)
            if ($null -eq $venvd_v) {
                if ($null -ne $venvd_now) { Remove-Item -LiteralPath ('Env:' + $venvd_k) -ErrorAction Ignore }
            } elseif ($null -eq $venvd_now -or $venvd_now -cne $venvd_v) {
                $venvd_v = [string]$venvd_v
                switch -CaseSensitive ($venvd_k) {
                    'PATH' { $env:PATH = $venvd_v }
                    'VENVD_DIFF' { $env:VENVD_DIFF = $venvd_v }
                    'VIRTUAL_ENV' { $env:VIRTUAL_ENV = $venvd_v }
                    'VIRTUAL_ENV_PROMPT' { $env:VIRTUAL_ENV_PROMPT = $venvd_v }
                    'PYTHONHOME' { $env:PYTHONHOME = $venvd_v }
                    'PIP_REQUIRE_VIRTUALENV' { $env:PIP_REQUIRE_VIRTUALENV = $venvd_v }
                }
            }
        }
        $global:_VENVD_PWD = $venvd_here
        $global:_VENVD_CHAIN = $venvd_chain
        if ($venvd_d) {
            $global:_VENVD_ROOT = $venvd_d
            $global:_VENVD_VE = [string]$venvd_e[1]
            $global:_VENVD_STAMP = $venvd_stamp
            $global:_VENVD_WATCH = $venvd_watch.ToArray()
            $global:_VENVD_STAMPS = $venvd_stamps.ToArray()
            $global:_VENVD_UNDO = $venvd_new_undo.ToArray()
            function global:deactivate { _venvd_deactivate @args }
        } else {
            $global:_VENVD_ROOT = ''
            $global:_VENVD_VE = [string][Environment]::GetEnvironmentVariable('VIRTUAL_ENV')
            $global:_VENVD_STAMP = $venvd_nowhere
            $global:_VENVD_WATCH = @()
            $global:_VENVD_STAMPS = @()
            $global:_VENVD_UNDO = @()
            if ($venvd_diff) { Remove-Item Function:deactivate -ErrorAction Ignore }
        }
    } finally {
        _venvd_release_ctrl_c $venvd_ctrl_c
    }
    return $true
}

# The prompt's step: a no-op where nothing changed, else the cache, else the core. A bug in
# the first two must never break the prompt: any error there only costs the process.
function global:_venvd_hook {
    $global:_venvd_walked = $null
    $venvd_done = $false
    try { $venvd_done = _venvd_unchanged } catch { $venvd_done = $false }
    if ($venvd_done -is [bool] -and $venvd_done) { return }
    try { $venvd_done = _venvd_cached } catch { $venvd_done = $false }
    if ($venvd_done -is [bool] -and $venvd_done) { return }
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
    foreach ($venvd_name in '_VENVD_PWD', '_VENVD_VE', '_VENVD_STAMP', '_VENVD_OFF', '_VENVD_TOLD', '_VENVD_ROOT',
                            '_VENVD_NOWHERE') {
        if ($null -eq (Get-Variable -Name $venvd_name -Scope Global -ErrorAction Ignore)) {
            Set-Variable -Name $venvd_name -Scope Global -Value ''
        }
    }
    foreach ($venvd_name in '_VENVD_WATCH', '_VENVD_STAMPS', '_VENVD_CHAIN', '_VENVD_UNDO', '_VENVD_ENTRY') {
        if ($null -eq (Get-Variable -Name $venvd_name -Scope Global -ErrorAction Ignore)) {
            Set-Variable -Name $venvd_name -Scope Global -Value @()
        }
    }
    $global:_venvd_walked = $null
    # The activation cache: kept when the profile is loaded again (each entry is checked
    # when it is used); the entries the core saved are filed after this block.
    $venvd_cache = Get-Variable -Name _venvd_cache -Scope Global -ErrorAction Ignore
    if ($null -eq $venvd_cache -or $venvd_cache.Value -isnot [System.Collections.Hashtable]) {
        $global:_venvd_cache = New-Object System.Collections.Hashtable ([StringComparer]::Ordinal)
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
