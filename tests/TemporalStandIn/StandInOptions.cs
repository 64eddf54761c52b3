namespace AbandonedCart.TemporalStandIn;

public sealed class StandInOptions
{
    /// <summary>Loopback port; 0 picks a free one.</summary>
    public int Port { get; init; }

    public string Namespace { get; init; } = "default";

    /// <summary>
    /// The clock starts with the client's lock on time skipping held (a client unlocks it, as the SDK's time-skipping
    /// environment does while it sleeps or waits for a result); once nothing holds a lock it jumps to the next timer.
    /// True (the tests): virtual time stands still while locked, up to <see cref="FreezeGrace"/>. False (the
    /// development command): it runs with the wall clock while locked, as the Java test server's clock does.
    /// </summary>
    public bool FreezeWhileLocked { get; init; } = true;

    /// <summary>How long outstanding work may hold the frozen clock before it creeps on with the wall clock.</summary>
    public TimeSpan FreezeGrace { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Where the virtual clock starts; the wall clock when null.</summary>
    public DateTime? StartTime { get; init; }

    /// <summary>Log every call (path and status) to the console.</summary>
    public bool Verbose { get; init; }
}
