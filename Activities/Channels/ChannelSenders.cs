using AbandonedCart.Activities.Storage;
using Microsoft.Extensions.Logging;

namespace AbandonedCart.Activities.Channels;

/// <summary>
/// The sender of each channel: a provider sender registered in DI as <see cref="IChannelSender"/> for that channel,
/// otherwise the development outbox. Adding a provider is one DI registration; nothing here changes.
/// </summary>
public sealed class ChannelSenders
{
    private readonly Dictionary<string, IChannelSender> byChannel;

    public ChannelSenders(IEnumerable<IChannelSender> providers, OutboxStore outbox, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var outboxLogger = loggerFactory.CreateLogger<OutboxSender>();
        byChannel = Workflows.Channels.All.ToDictionary(c => c, c => (IChannelSender)new OutboxSender(c, outbox, outboxLogger));

        // Like any DI resolution of a single service, the last registration for a channel wins.
        foreach (var provider in providers)
        {
            byChannel[provider.Channel] = provider;
        }

        var logger = loggerFactory.CreateLogger<ChannelSenders>();
        foreach (var (channel, sender) in byChannel)
        {
            logger.LogInformation("Channel {Channel} sends through {Provider}", channel, sender.Provider);
        }
    }

    public IChannelSender For(string channel) =>
        byChannel.TryGetValue(channel, out var sender) ? sender : throw new ArgumentException($"No sender for channel '{channel}'.", nameof(channel));
}
