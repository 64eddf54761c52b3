namespace AbandonedCart.Api.Events;

/// <summary>Section <c>Inbox</c>: how the relay delivers stored events to Temporal.</summary>
public sealed class InboxOptions
{
    public const string Section = "Inbox";

    /// <summary>False runs an Api that only accepts events (another process relays them).</summary>
    public bool RelayEnabled { get; set; } = true;

    /// <summary>Events claimed per relay transaction (one per customer at a time).</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>How often the relay looks for due retries when no new event wakes it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The first retry delay; each further failure doubles it, up to <see cref="RetryMax"/>.</summary>
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMax { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>One delivery longer than this counts as Temporal being unreachable.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan Backoff(int attempts) =>
        TimeSpan.FromTicks(Math.Min(RetryMax.Ticks, RetryBase.Ticks * (1L << Math.Clamp(attempts, 0, 20))));
}
