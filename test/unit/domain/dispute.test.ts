import { describe, expect, it } from 'vitest';
import { disputeCanMove, disputeWithdrawsFunds, isDisputeClosed, type Dispute, type DisputeStatus } from '../../../functions/domain/dispute.ts';
import { disputeEvents } from '../../../functions/domain/event.ts';

const dispute = (status: DisputeStatus, updatedAt = 1_800_000_000_000): Dispute => ({
  id: 'du_0123456789abcdefghijkl',
  processorDisputeId: 'du_stripe1',
  merchantId: 'mer_1',
  chargeId: 'ch_0123456789abcdefghijkl',
  amount: 2500,
  currency: 'usd',
  reason: 'fraudulent',
  status,
  isChargeRefundable: false,
  evidenceDueBy: null,
  createdAt: 1_800_000_000_000,
  updatedAt,
});

describe('a dispute’s moves, as Stripe makes them', () => {
  it('never goes back to an earlier state, and a won, prevented or inquiry-closed one never moves again', () => {
    expect(disputeCanMove('under_review', 'needs_response')).toBe(false);
    expect(disputeCanMove('needs_response', 'warning_needs_response')).toBe(false);
    for (const closed of ['won', 'warning_closed', 'prevented'] as const) {
      expect(isDisputeClosed(closed)).toBe(true);
      expect(disputeCanMove(closed, 'lost')).toBe(false);
      expect(disputeCanMove(closed, 'needs_response')).toBe(false);
    }
  });

  it('a lost chargeback may be appealed: closed, then open again, the money still withdrawn, and won or lost at the end', () => {
    expect(isDisputeClosed('lost')).toBe(true);
    expect(disputeCanMove('lost', 'appeal_needs_response')).toBe(true);
    expect(disputeCanMove('appeal_needs_response', 'appeal_under_review')).toBe(true);
    expect(disputeCanMove('appeal_under_review', 'won')).toBe(true);
    expect(disputeCanMove('lost', 'won')).toBe(true);
    expect(isDisputeClosed('appeal_under_review')).toBe(false);
    expect(disputeWithdrawsFunds('appeal_under_review')).toBe(true);
    expect(disputeWithdrawsFunds('won')).toBe(false);
    expect(disputeWithdrawsFunds('prevented')).toBe(false);
  });

  it('tells the merchant the appeal’s close as an event of its own, not as the first close again', () => {
    const [firstClose] = disputeEvents(dispute('under_review'), dispute('lost'));
    const [appealed] = disputeEvents(dispute('lost'), dispute('appeal_needs_response'));
    const [secondClose] = disputeEvents(dispute('appeal_under_review'), dispute('won'));
    expect(firstClose?.type).toBe('charge.dispute.closed');
    expect(appealed?.type).toBe('charge.dispute.updated');
    expect(secondClose?.type).toBe('charge.dispute.closed');
    expect(new Set([firstClose?.id, appealed?.id, secondClose?.id]).size).toBe(3);
    // Seen twice, the same change makes the same id.
    expect(disputeEvents(dispute('appeal_under_review'), dispute('won'))[0]?.id).toBe(secondClose?.id);
  });
});
