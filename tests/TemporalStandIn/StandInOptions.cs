namespace AbandonedCart.TemporalStandIn;

public sealed class StandInOptions
{
    /// <summary>Loopback port; 0 picks a free one.</summary>
    public int Port { get; init; }

    public string Namespace { get; init; } = "default";

    /// <summary>
    /// True: the clock starts locked (a client unlocks it, as the SDK's time-skipping environment does) and jumps to
    /// the next timer whenever nothing is outstanding and nobody holds the lock. False: it runs with the wall clock
    /// until a client unlocks time skipping.
    /// </summary>
    public bool TimeSkipping { get; init; } = true;

    /// <summary>Where the virtual clock starts; the wall clock when null.</summary>
    public DateTime? StartTime { get; init; }

    /// <summary>Log every call (path and status) to the console.</summary>
    public bool Verbose { get; init; }
}
