using AbandonedCart.TemporalStandIn;

namespace AbandonedCart.Tests.StandIn;

public class VirtualClockTests
{
    private static readonly DateTime Start = new(2026, 3, 2, 10, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Unlocked_JumpsExactlyToTheNextTimer_AndStandsStillWhileLocked()
    {
        await using var clock = new VirtualClock(Start, freezeWhileLocked: true, TimeSpan.FromSeconds(20));
        var fired = new TaskCompletionSource<DateTime>();
        clock.At(Start.AddHours(2), () =>
        {
            clock.Lock();
            fired.SetResult(clock.Now);
        });

        await Task.Delay(50);
        Assert.Equal(Start, clock.Now);
        clock.Unlock();
        var at = await fired.Task.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(Start.AddHours(2), at);
        await Task.Delay(50);
        Assert.Equal(Start.AddHours(2), clock.Now);
    }

    [Fact]
    public async Task Locked_NeverSkips()
    {
        await using var clock = new VirtualClock(Start, freezeWhileLocked: true, TimeSpan.FromSeconds(20));
        var fired = false;
        clock.At(Start.AddMinutes(1), () => fired = true);

        await Task.Delay(200);

        Assert.False(fired);
        Assert.Equal(Start, clock.Now);
    }
}
