// A CPU-bound task for the dirty pool.
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
