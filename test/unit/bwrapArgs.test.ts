import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildBwrapArgs, buildLaunchArgv, ENTER_SCRIPT } from '../../src/runner/backends/local/bwrapArgs.js';

const layout = {
  roBinds: [
    { src: '/opt/dotnet/dotnet', dest: '/usr/share/dotnet/dotnet' },
    { src: '/srv/host', dest: '/sandbox/host' },
  ],
  symlinks: [{ target: 'usr/lib', path: '/lib' }],
};

describe('the bubblewrap command line', () => {
  it('is exactly this array: every namespace, no env but ours, read-only binds, one capped tmpfs', () => {
    const args = buildBwrapArgs({
      layout,
      tmpfsBytes: 64 * 1024 * 1024,
      env: { PATH: '/usr/share/dotnet', HOME: '/tmp' },
      seccompFd: 5,
      jsonStatusFd: 6,
      argv: ['/usr/share/dotnet/dotnet', '/sandbox/host/sharpbox-host.dll', 'exec'],
    });
    assert.deepEqual(args, [
      '--unshare-all',
      '--unshare-user',
      '--disable-userns',
      '--uid',
      '65534',
      '--gid',
      '65534',
      '--hostname',
      'sharpbox',
      '--die-with-parent',
      '--new-session',
      '--as-pid-1',
      '--clearenv',
      '--setenv',
      'HOME',
      '/tmp',
      '--setenv',
      'PATH',
      '/usr/share/dotnet',
      '--ro-bind',
      '/opt/dotnet/dotnet',
      '/usr/share/dotnet/dotnet',
      '--ro-bind',
      '/srv/host',
      '/sandbox/host',
      '--symlink',
      'usr/lib',
      '/lib',
      '--proc',
      '/proc',
      '--remount-ro',
      '/proc',
      '--size',
      '65536',
      '--tmpfs',
      '/dev',
      '--dev-bind',
      '/dev/null',
      '/dev/null',
      '--dev-bind',
      '/dev/zero',
      '/dev/zero',
      '--dev-bind',
      '/dev/full',
      '/dev/full',
      '--dev-bind',
      '/dev/random',
      '/dev/random',
      '--dev-bind',
      '/dev/urandom',
      '/dev/urandom',
      '--symlink',
      '/proc/self/fd',
      '/dev/fd',
      '--symlink',
      '/proc/self/fd/0',
      '/dev/stdin',
      '--symlink',
      '/proc/self/fd/1',
      '/dev/stdout',
      '--symlink',
      '/proc/self/fd/2',
      '/dev/stderr',
      '--symlink',
      '/tmp',
      '/dev/shm',
      '--remount-ro',
      '/dev',
      '--size',
      '67108864',
      '--tmpfs',
      '/tmp',
      '--chdir',
      '/tmp',
      '--seccomp',
      '5',
      '--json-status-fd',
      '6',
      '--remount-ro',
      '/',
      '--',
      '/sandbox/init',
      '--',
      '/usr/share/dotnet/dotnet',
      '/sandbox/host/sharpbox-host.dll',
      'exec',
    ]);
  });

  it('never shares the network, never binds anything writable and never passes the host environment', () => {
    const args = buildBwrapArgs({ layout, tmpfsBytes: 1, env: {}, argv: ['x'] });
    for (const flag of ['--share-net', '--bind ', '--bind-try', '--dev ', '--setenv DISCORD_TOKEN']) {
      assert.ok(!`${args.join(' ')} `.includes(flag), flag);
    }
    // Devices: only the five harmless character devices, never a devpts (ptys are a host-wide pool).
    const devBinds = args.flatMap((a, i) => (a === '--dev-bind' ? [args[i + 1]] : []));
    assert.deepEqual(devBinds, ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom']);
    assert.ok(!args.some((a) => a.includes('pts') || a.includes('ptmx')));
    // Writable: only /tmp (the /dev tmpfs is remounted read-only, and so are / and /proc).
    assert.deepEqual(
      args.flatMap((a, i) => (a === '--tmpfs' ? [args[i + 1]] : [])),
      ['/dev', '/tmp'],
    );
    for (const ro of ['/dev', '/proc', '/'])
      assert.ok(
        args.some((a, i) => a === '--remount-ro' && args[i + 1] === ro),
        ro,
      );
  });
});

describe('the launcher chain', () => {
  const tools = {
    bash: '/bin/bash',
    prlimit: '/usr/bin/prlimit',
    setpriv: '/usr/bin/setpriv',
    bwrap: '/usr/bin/bwrap',
  };
  const rlimits = { nproc: 66, nofile: 1024, fsizeBytes: 1000, cpuSeconds: 6, dataBytes: 2000, core: 0 };

  it('closes stray descriptors and joins the cgroups first, then sets rlimits, then drops to the slot uid, then starts bwrap', () => {
    const argv = buildLaunchArgv({
      lastFd: 6,
      cgroupProcsFiles: ['/cg/mem/procs', '/cg/pids/procs'],
      rlimits,
      uid: 64001,
      gid: 64001,
      bwrapArgs: ['--a'],
      tools,
    });
    assert.deepEqual(argv, [
      '/bin/bash',
      '--norc',
      '--noprofile',
      '-c',
      ENTER_SCRIPT,
      'sharpbox-enter',
      '6',
      '/cg/mem/procs',
      '/cg/pids/procs',
      '--',
      '/usr/bin/prlimit',
      '--nproc=66',
      '--nofile=1024',
      '--fsize=1000',
      '--cpu=6:7',
      '--data=2000',
      '--core=0',
      '--rtprio=0',
      '--nice=0',
      '--',
      '/usr/bin/setpriv',
      '--reuid=64001',
      '--regid=64001',
      '--clear-groups',
      '--no-new-privs',
      '--',
      '/usr/bin/bwrap',
      '--a',
    ]);
  });

  it('closes stray descriptors even when there are no cgroups', () => {
    const argv = buildLaunchArgv({
      lastFd: 6,
      cgroupProcsFiles: [],
      rlimits,
      uid: 64001,
      gid: 64001,
      bwrapArgs: [],
      tools,
    });
    assert.deepEqual(argv.slice(0, 9), [
      '/bin/bash',
      '--norc',
      '--noprofile',
      '-c',
      ENTER_SCRIPT,
      'sharpbox-enter',
      '6',
      '--',
      '/usr/bin/prlimit',
    ]);
  });

  it('gives the long-lived compile server no lifetime CPU cap (its compiles have deadlines instead)', () => {
    const argv = buildLaunchArgv({
      lastFd: 6,
      cgroupProcsFiles: [],
      rlimits: { ...rlimits, cpuSeconds: null },
      uid: 64001,
      gid: 64001,
      bwrapArgs: [],
      tools,
    });
    assert.ok(argv.includes('--cpu=unlimited'));
  });
});
