using AbandonedCart.Workflows.Decisions;

namespace AbandonedCart.Workflows;

/// <summary>
/// The settings of the omnichannel abandoned-cart journey (seed 000). Each rule of the journey is one named
/// value here, so a marketing developer changes it in one place. Changing a value changes the decisions of carts
/// in flight: guard such a change with <c>Workflow.Patched</c> in the workflow (see README, "Changing a journey safely").
/// </summary>
public sealed record AbandonedCartJourney
{
    public static readonly AbandonedCartJourney Default = new();

    public string Name { get; init; } = Journeys.AbandonedCart;

    /// <summary>The first message is due this long after the latest cart update; a newer update restarts the wait.</summary>
    public TimeSpan FirstMessageDelay { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Chain of channels when the latest cart update came from a phone or tablet.</summary>
    public IReadOnlyList<string> MobileChain { get; init; } = [Channels.MobilePush, Channels.Email, Channels.Sms];

    /// <summary>Chain of channels when the latest cart update came from a desktop browser.</summary>
    public IReadOnlyList<string> DesktopChain { get; init; } = [Channels.WebPush, Channels.Email, Channels.Sms];

    /// <summary>How long a push message has to be opened or clicked before the next channel gets the turn.</summary>
    public TimeSpan PushWindow { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long an email has to be opened or clicked before the next channel gets the turn.</summary>
    public TimeSpan EmailWindow { get; init; } = TimeSpan.FromHours(12);

    /// <summary>
    /// The email window of the first release (1 day). Carts whose email was sent before the change to 12 hours keep it:
    /// the workflow guards the change with patch <c>email-window-12h</c>.
    /// </summary>
    public TimeSpan EmailWindowV1 { get; init; } = TimeSpan.FromDays(1);

    /// <summary>How long other channels (SMS, LINE) have to be engaged with; SMS is last, so this bounds the run.</summary>
    public TimeSpan OtherWindow { get; init; } = TimeSpan.FromDays(1);

    /// <summary>No abandoned-cart message for a customer who got one this recently before the first send.</summary>
    public TimeSpan JourneyCap { get; init; } = TimeSpan.FromDays(7);

    /// <summary>No message while the customer got a message from a different journey this recently (deferred).</summary>
    public TimeSpan CrossJourneyCap { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Quiet hours in the customer's time zone: nothing is sent from <see cref="QuietFrom"/> to <see cref="QuietUntil"/>.</summary>
    public TimeOnly QuietFrom { get; init; } = new(21, 0);

    public TimeOnly QuietUntil { get; init; } = new(9, 0);

    /// <summary>Time zone used for quiet hours when the customer's profile has none.</summary>
    public string DefaultTimeZone { get; init; } = "Europe/Prague";

    /// <summary>How long a customer stays in the retargeting audiences unless they buy first.</summary>
    public TimeSpan AudienceDuration { get; init; } = TimeSpan.FromDays(14);

    /// <summary>
    /// Continue-as-new past this many history events (or when the server suggests it), so a storm of cart updates
    /// keeps every run's history bounded. Each cart update costs about four events.
    /// </summary>
    public int HistoryEventLimit { get; init; } = 1000;

    /// <summary>The cross-journey cap and quiet hours, as the send activity applies them at send time.</summary>
    public SendGatePolicy Gate => new()
    {
        CrossJourneyCap = CrossJourneyCap,
        QuietFrom = QuietFrom,
        QuietUntil = QuietUntil,
        DefaultTimeZone = DefaultTimeZone,
    };

    public IReadOnlyList<string> ChainFor(string device) =>
        string.Equals(device, Devices.Mobile, StringComparison.OrdinalIgnoreCase) ? MobileChain : DesktopChain;

    public TimeSpan WindowFor(string channel) => channel switch
    {
        Channels.MobilePush or Channels.WebPush => PushWindow,
        Channels.Email => EmailWindow,
        _ => OtherWindow,
    };
}
