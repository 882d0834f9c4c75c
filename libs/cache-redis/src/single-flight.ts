/** One load per key at a time in this process: callers that ask while a load runs share its result. */
export class SingleFlight<T> {
  private readonly flights = new Map<string, Promise<T>>();

  run(key: string, load: () => Promise<T>): Promise<T> {
    const running = this.flights.get(key);
    if (running) return running;
    const flight = load().finally(() => this.flights.delete(key));
    this.flights.set(key, flight);
    return flight;
  }
}
