using AbandonedCart.Activities.Customers;

namespace AbandonedCart.Activities.Channels;

/// <summary>The eligibility rules of every channel, by channel name. Used by the send activity and by simulate.</summary>
public static class ChannelRules
{
    private static readonly Dictionary<string, IChannelRule> ByChannel = new IChannelRule[]
    {
        new EmailChannel(), new SmsChannel(), new MobilePushChannel(), new WebPushChannel(), new LineChannel(),
    }.ToDictionary(r => r.Channel);

    public static IChannelRule For(string channel) =>
        ByChannel.TryGetValue(channel, out var rule) ? rule : throw new ArgumentException($"Unknown channel '{channel}'.", nameof(channel));

    public static string? IneligibleReason(string channel, CustomerProfile customer) => For(channel).IneligibleReason(customer);
}
