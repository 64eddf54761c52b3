using AbandonedCart.Workflows;
using AbandonedCart.Workflows.Decisions;

namespace AbandonedCart.Worker.Commands;

/// <summary>One synthetic customer of the demo data with everything the abandoned-cart journey did for them.</summary>
public sealed record DemoShopper
{
    public required string Id { get; init; }

    public required bool Mobile { get; init; }

    public List<DemoEntry> Entries { get; } = [];

    public List<DemoMessage> Messages { get; } = [];

    public List<DemoEngagement> Engagements { get; } = [];

    public List<DemoPurchase> Purchases { get; } = [];
}

public sealed record DemoEntry(string Key, DateTime EnteredAt, bool Holdout, decimal CartValue, string Outcome, DateTime EndedAt);

public sealed record DemoMessage(long Id, string EntryKey, string Channel, int Step, string Status, string? Reason, DateTime At);

public sealed record DemoEngagement(long MessageId, string Kind, DateTime At);

public sealed record DemoPurchase(string OrderId, decimal Revenue, DateTime At);

/// <summary>
/// Simulates the abandoned-cart journey for demo customers. Every draw is a hash of (seed, customer, purpose), not a
/// stateful generator, so any table can be regenerated on its own, in any order or in parallel, with identical rows.
/// Rates are typical of published abandoned-cart benchmarks: email opens about 30%, push 12%, SMS 20%; holdout
/// and treatment share the same organic purchase rate, so the lift measures what the messages add.
/// </summary>
public sealed class DemoShoppers(ulong seed, DateTime start, DateTime end)
{
    public const string Journey = Journeys.AbandonedCart;

    /// <summary>Message ids are customer * 16 + round * 4 + step: stable across passes and unique.</summary>
    public const int MaxRounds = 4;

    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    public static long MaxMessageId(int customers) => ((long)customers * 16) + 16;

    public DemoShopper Simulate(int customer)
    {
        var id = $"demo-{customer:D8}";
        var shopper = new DemoShopper { Id = id, Mobile = Draw(customer, 1) < 0.55 };
        var holdout = Holdout.IsHeldOut(Journey, id, 10);
        var rounds = 1 + (int)(Draw(customer, 2) * MaxRounds);
        var span = (end - start).TotalHours;
        var at = start.AddHours(Draw(customer, 3) * span * 0.6);
        for (var round = 0; round < rounds && at < end; round++)
        {
            SimulateRound(shopper, customer, round, at, holdout);
            at = at.AddDays(8 + (Draw(customer, 4, round) * 10));
        }

        // Purchases that have nothing to do with a cart reminder: most revenue of a shop is not recovered carts.
        for (var extra = 0; extra < 2; extra++)
        {
            if (Draw(customer, 5, extra) < 0.125)
            {
                var when = start.AddHours(Draw(customer, 6, extra) * span);
                shopper.Purchases.Add(new DemoPurchase($"{id}-x{extra}", Money(20 + (Draw(customer, 7, extra) * 180)), when));
            }
        }

        return shopper;
    }

    private void SimulateRound(DemoShopper shopper, int customer, int round, DateTime enteredAt, bool holdout)
    {
        var key = $"{shopper.Id}-{round}";
        var cartValue = Money(15 + (Math.Pow(Draw(customer, 10, round), 2) * 400));
        var chain = AbandonedCartJourney.Default.ChainFor(shopper.Mobile ? Devices.Mobile : Devices.Desktop);
        var idBase = ((long)customer * 16) + (round * 4);

        // The shopper may come back and buy on their own, reminded or not: the same 8% in both groups.
        DateTime? purchaseAt = Draw(customer, 11, round) < 0.08 ? enteredAt.AddHours(Math.Pow(Draw(customer, 12, round), 2) * 72) : null;
        var outcome = Outcomes.Exhausted;
        var endedAt = enteredAt;
        if (holdout)
        {
            shopper.Messages.Add(new DemoMessage(idBase + 1, key, chain[0], 1, "holdout", Reasons.Holdout, enteredAt));
            outcome = Outcomes.Holdout;
        }
        else
        {
            var due = enteredAt;
            for (var step = 1; step <= chain.Count; step++)
            {
                if (purchaseAt <= due)
                {
                    break;
                }

                var channel = chain[step - 1];
                var messageId = idBase + step;
                endedAt = due;
                if (Draw(customer, 20 + step, round) >= Consent(channel))
                {
                    shopper.Messages.Add(new DemoMessage(messageId, key, channel, step, "skipped", Reasons.NoConsent, due));
                    continue;
                }

                shopper.Messages.Add(new DemoMessage(messageId, key, channel, step, "sent", null, due));
                var window = AbandonedCartJourney.Default.WindowFor(channel);
                var (delivered, opened, clicked) = Rates(channel);
                if (Draw(customer, 30 + step, round) >= delivered)
                {
                    due += window;
                    continue;
                }

                shopper.Engagements.Add(new DemoEngagement(messageId, "delivered", due.AddSeconds(5 + (Draw(customer, 40 + step, round) * 115))));
                if (Draw(customer, 50 + step, round) >= opened)
                {
                    due += window;
                    continue;
                }

                var openAt = due + (window * (Math.Pow(Draw(customer, 60 + step, round), 2) * 0.8));
                if (purchaseAt <= openAt)
                {
                    break;
                }

                shopper.Engagements.Add(new DemoEngagement(messageId, "opened", openAt));
                var touch = openAt;
                var buys = 0.10;
                if (Draw(customer, 70 + step, round) < clicked)
                {
                    touch = openAt.AddMinutes(Draw(customer, 80 + step, round) * 10);
                    shopper.Engagements.Add(new DemoEngagement(messageId, "clicked", touch));
                    buys = 0.30;
                }

                // Reminded purchases mostly come within hours, some a few days later: that is what the window decides.
                if (Draw(customer, 90 + step, round) < buys)
                {
                    var induced = touch + (Hour * (Math.Pow(Draw(customer, 100 + step, round), 1.5) * 96));
                    purchaseAt = purchaseAt is { } organic && organic < induced ? organic : induced;
                }

                outcome = Outcomes.Engaged;
                endedAt = touch;
                break;
            }
        }

        if (purchaseAt is { } boughtAt)
        {
            shopper.Purchases.Add(new DemoPurchase($"{key}-p", Money((double)cartValue * (0.8 + (Draw(customer, 13, round) * 0.4))), boughtAt));
            outcome = Outcomes.Purchased;
            endedAt = boughtAt;
        }

        shopper.Entries.Add(new DemoEntry(key, enteredAt, holdout, cartValue, outcome, endedAt));
    }

    private static double Consent(string channel) => channel switch
    {
        Channels.Email => 0.9,
        Channels.Sms => 0.5,
        _ => 0.7,
    };

    private static (double Delivered, double Opened, double Clicked) Rates(string channel) => channel switch
    {
        Channels.Email => (0.97, 0.30, 0.35),
        Channels.Sms => (0.98, 0.20, 0.40),
        _ => (0.92, 0.12, 0.55),
    };

    private static decimal Money(double value) => Math.Round((decimal)value, 2);

    /// <summary>A uniform draw in [0, 1) from SplitMix64 over (seed, customer, purpose, index).</summary>
    private double Draw(int customer, int purpose, int index = 0)
    {
        var x = seed ^ ((ulong)customer * 0x9E3779B97F4A7C15UL) ^ ((ulong)purpose * 0xC2B2AE3D27D4EB4FUL) ^ ((ulong)index * 0x165667B19E3779F9UL);
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (x >> 11) * (1.0 / (1UL << 53));
    }
}
