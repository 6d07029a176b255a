// The /run modal carries the options chosen with /run in its custom id (a modal has only text inputs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MODAL_ID, modalId, modalOptions } from '../../src/bot/commands.js';

describe('the run modal id', () => {
  it('is the plain id without options, and reads back as none', () => {
    assert.equal(modalId({}), MODAL_ID);
    assert.deepEqual(modalOptions(MODAL_ID), {});
  });

  it('carries optimize and the language version, within Discord’s 100 characters', () => {
    const options = { optimize: 'debug', langVersion: '12345678901234567890' } as const;
    const id = modalId(options);
    assert.ok(id.length <= 100, `${id.length} characters`);
    assert.deepEqual(modalOptions(id), options);
  });

  it('is not ours for another id or a mangled one', () => {
    assert.equal(modalOptions('sb:other'), null);
    assert.equal(modalOptions(`${MODAL_ID}:{not json`), null);
    assert.equal(modalOptions(`${MODAL_ID}:null`), null);
    assert.deepEqual(modalOptions(`${MODAL_ID}:{"optimize":7}`), {});
  });
});
