using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AbandonedCart.Api.Events;

/// <summary>Traces and metrics of the inbox: deliveries, retries, backlog and how far the relay lags behind.</summary>
public static class InboxTelemetry
{
    public const string Name = "AbandonedCart.Inbox";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    private static long backlog;
    private static double oldestPendingSeconds;

    public static Counter<long> Delivered { get; } = Meter.CreateCounter<long>("inbox.delivered", description: "Events delivered to their journey.");

    public static Counter<long> Retried { get; } = Meter.CreateCounter<long>("inbox.retried", description: "Deliveries that failed and will be retried.");

    public static Counter<long> Failed { get; } = Meter.CreateCounter<long>("inbox.failed", description: "Events given up on (permanent errors).");

    public static Histogram<double> Lag { get; } = Meter.CreateHistogram<double>("inbox.relay.lag", "s", "From receipt to delivery.");

    static InboxTelemetry()
    {
        Meter.CreateObservableGauge("inbox.backlog", () => Interlocked.Read(ref backlog), description: "Events stored but not delivered yet.");
        Meter.CreateObservableGauge("inbox.oldest_pending.age", () => Volatile.Read(ref oldestPendingSeconds), "s", "Age of the oldest undelivered event.");
    }

    public static void Observe(long pending, TimeSpan oldestPendingAge)
    {
        Interlocked.Exchange(ref backlog, pending);
        Volatile.Write(ref oldestPendingSeconds, oldestPendingAge.TotalSeconds);
    }
}
