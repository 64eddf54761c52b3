namespace AbandonedCart.Workflows;

/// <summary>Channel names as they appear in scenarios, timelines, the message log and the API.</summary>
public static class Channels
{
    public const string Email = "email";
    public const string Sms = "sms";
    public const string MobilePush = "mobile_push";
    public const string WebPush = "web_push";
    public const string Line = "line";

    public static readonly IReadOnlyList<string> All = [Email, Sms, MobilePush, WebPush, Line];
}

/// <summary>Consent categories a customer can grant or withdraw.</summary>
public static class Consents
{
    public const string Email = "email";
    public const string Sms = "sms";
    public const string Push = "push";
    public const string Ads = "ads";
    public const string Line = "line";

    public static readonly IReadOnlyList<string> All = [Email, Sms, Push, Ads, Line];
}

/// <summary>Journey names: the <c>journey</c> column of the message log and the key of the journey switch.</summary>
public static class Journeys
{
    public const string AbandonedCart = "abandoned-cart";
}

/// <summary>How a journey run ended (the timeline's <c>end</c> outcome).</summary>
public static class Outcomes
{
    public const string Purchased = "purchased";
    public const string Engaged = "engaged";
    public const string Exhausted = "exhausted";
    public const string Capped = "capped";
    public const string Holdout = "holdout";
    public const string Stopped = "stopped";
    public const string CartEmptied = "cart_emptied";
}

/// <summary>Why a message was not sent, or not sent yet.</summary>
public static class Reasons
{
    public const string NoConsent = "no_consent";
    public const string NoAddress = "no_address";
    public const string QuietHours = "quiet_hours";
    public const string CrossJourneyCap = "cross_journey_cap";
    public const string RecentlyMessaged = "recently_messaged";
    public const string Holdout = "holdout";
    public const string JourneyStopped = "journey_stopped";
    public const string RecentlyInAudience = "recently_in_audience";

    /// <summary>A web push endpoint outside the allowed push services: the Worker does not call it.</summary>
    public const string EndpointNotAllowed = "endpoint_not_allowed";
}

/// <summary>Devices a storefront reports on a cart update; they pick the channel chain.</summary>
public static class Devices
{
    public const string Mobile = "mobile";
    public const string Desktop = "desktop";
}

/// <summary>One line of a cart.</summary>
public sealed record CartItem
{
    public required string Sku { get; init; }

    public required string Name { get; init; }

    public required decimal Price { get; init; }

    public int Quantity { get; init; } = 1;

    public string? ImageUrl { get; init; }

    public string? Url { get; init; }
}

/// <summary>Signal: the customer's cart changed. The latest one is the one the journey acts on.</summary>
public sealed record CartUpdated
{
    public required string EventId { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public string Device { get; init; } = Devices.Desktop;

    public IReadOnlyList<CartItem> Items { get; init; } = [];

    public string Currency { get; init; } = "EUR";

    /// <summary>Cart value as the storefront computed it; the sum of the items when absent.</summary>
    public decimal? Value { get; init; }

    public decimal TotalValue => Value ?? Items.Sum(i => i.Price * i.Quantity);
}

/// <summary>Signal: the customer bought. Ends the journey at any point.</summary>
public sealed record PurchaseCompleted
{
    public required string EventId { get; init; }

    public required string OrderId { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public decimal Revenue { get; init; }
}

/// <summary>Signal: the customer opened or clicked a message.</summary>
public sealed record Engagement
{
    public required string Channel { get; init; }

    /// <summary><c>opened</c>, <c>clicked</c> (engagements that stop the chain) or <c>delivered</c>.</summary>
    public required string Action { get; init; }

    /// <summary>The idempotency key of the message engaged with, when the tracking link carries it.</summary>
    public string? MessageKey { get; init; }

    public DateTimeOffset? OccurredAt { get; init; }

    public bool StopsChain => Action is "opened" or "clicked";
}
