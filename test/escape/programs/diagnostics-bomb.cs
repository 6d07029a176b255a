// Attack: make the compiler produce an enormous result. Each tuple doubles the one before, and a failed
// conversion prints the whole type: 471 bytes of source gave three 14.7-million-character diagnostics
// (a 44 MB compile result, kept by the service's run hub and sent to every front end; nine runs took the
// service from 70 to 373 MiB, and alternate runs OOM-killed the shared compiler).
// How: nest tuples 16 deep (2.7 MB of diagnostics; 20 deep makes 44 MB but takes Roslyn past the
// compile deadline), then assign the result to int, string and long.
// Contained when: the compile ends as a compile_error with diagnostics capped at 1,000 characters each
// and 64,000 in all, by the compiler and again by the service (warm-sandbox.test.ts checks the sizes).
// expect-status: compile_error
var t0 = (1, 1);
var t1 = (t0, t0);
var t2 = (t1, t1);
var t3 = (t2, t2);
var t4 = (t3, t3);
var t5 = (t4, t4);
var t6 = (t5, t5);
var t7 = (t6, t6);
var t8 = (t7, t7);
var t9 = (t8, t8);
var t10 = (t9, t9);
var t11 = (t10, t10);
var t12 = (t11, t11);
var t13 = (t12, t12);
var t14 = (t13, t13);
var t15 = (t14, t14);
var t16 = (t15, t15);
int x = t16;
string y = t16;
long z = t16;
